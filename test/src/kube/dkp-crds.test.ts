/**
 * Acceptance: every DKP CRD installs (after stripping non-standard x- keys, as DKP does),
 * the two kube-apiserver v1.28.7 refuses are refused, and each netfleet-rendered kind can be
 * server-side-applied and read back with managedFields, while invalid ones fail with the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject,
} from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from './server.js';
import { DKP_CRDS_REJECTED_BY_KUBE_APISERVER, installableDkpCrdFiles, listDkpCrdFiles, loadDkpCrdFile } from '../dkp.js';
import { apply, managedBy, rejection, type Manifest } from './test-support.js';
import { parseAllDocuments } from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DKP_REFERENCE_SKIP, dkpDir, dkpReferencePresent } from '../dkp.js';

const CRD_RESOURCE = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

let kube: KubeApiServer;
let objects: KubernetesObjectApi;

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds();
  objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
  await kube.kubeConfig().makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'netfleet' } } });
});

afterAll(async () => {
  await kube?.stop();
});

/** One valid object of every kind netfleet renders into a DKP cluster. */
const RENDERED: Manifest[] = [
  { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'main' }, spec: { ingressClass: 'nginx', inlet: 'LoadBalancer', loadBalancer: {} } },
  { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', metadata: { name: 'l2' }, spec: { type: 'L2', addressPool: ['10.42.0.0/24'], isDefault: true, l2: { interfaces: ['eth1'] }, nodeSelector: { 'node-role.kubernetes.io/frontend': '' } } },
  { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: { name: 'egress' }, spec: { nodeSelector: { role: 'egress' }, sourceIP: { mode: 'VirtualIPAddress', virtualIPAddress: { ip: '10.0.0.5' } } } },
  { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGatewayPolicy', metadata: { name: 'to-db' }, spec: { egressGatewayName: 'egress', destinationCIDRs: ['192.168.0.0/16'], selectors: [{ podSelector: { matchLabels: { app: 'api' } } }] } },
  { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'allow-api', namespace: 'netfleet' }, spec: { endpointSelector: { matchLabels: { app: 'api' } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: 'web' } }], toPorts: [{ ports: [{ port: '8080', protocol: 'TCP' }] }] }] } },
  { apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: { name: 'host-fw' }, spec: { nodeSelector: { matchLabels: { 'node-role.kubernetes.io/control-plane': '' } }, ingress: [{ fromEntities: ['kube-apiserver'] }] } },
  { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: { name: 'eu' }, spec: { trustDomain: 'eu.local', metadataEndpoint: 'https://istio.eu.example.com/metadata/' } },
  { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioMulticluster', metadata: { name: 'us' }, spec: { metadataEndpoint: 'https://istio.us.example.com/metadata/' } },
  { apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name: 'istio' }, spec: { enabled: true, version: 2, settings: { federation: { enabled: true } } } },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny-all', namespace: 'netfleet' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } },
];

describe.skipIf(!dkpReferencePresent())(`when the DKP CRDs are installed (kube-apiserver accepts them once stripped)${DKP_REFERENCE_SKIP}`, () => {
  it('installs every CRD file except the two kube-apiserver refuses, and they are Established', async () => {
    const crds = await kube.kubeConfig().makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
    const installed = crds.items.map((crd) => crd.metadata?.name);
    const expected = installableDkpCrdFiles().flatMap((file) => loadDkpCrdFile(file).crds.map((crd) => (crd.metadata as { name: string }).name));
    expect(installed.sort()).toEqual(expected.sort());
    expect(installed.length).toBeGreaterThan(40);
    for (const crd of crds.items) {
      expect(crd.status?.conditions?.find((condition) => condition.type === 'Established')?.status, crd.metadata?.name).toBe('True');
    }
    expect(listDkpCrdFiles().length).toBe(installableDkpCrdFiles().length + 2);
  });

  it.each(RENDERED.map((object) => [object.kind, object] as const))('server-side-applies a valid %s and reads it back with managedFields', async (_kind, object) => {
    const applied = await apply(objects, object, 'netfleet');
    expect(applied.metadata?.resourceVersion).toBeTruthy();
    const read = await objects.read({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata!.name!, namespace: object.metadata!.namespace! } });
    const entry = read.metadata?.managedFields?.find((field) => field.manager === 'netfleet');
    expect(entry?.operation).toBe('Apply');
    expect(entry?.fieldsType).toBe('FieldsV1');
    expect(managedBy(read, 'netfleet')).toHaveProperty('f:spec');
  });

  it.each([
    ['EgressGateway', { ...RENDERED[2]!, spec: { sourceIP: { mode: 'Teleport' } } }, 'spec.sourceIP.mode'],
    ['EgressGatewayPolicy', { ...RENDERED[3]!, spec: { destinationCIDRs: ['10.0.0.0/8'] } }, 'spec.egressGatewayName'],
    ['MetalLoadBalancerClass', { ...RENDERED[1]!, spec: { addressPool: '10.42.0.0/24' } }, 'spec.addressPool'],
    ['IstioMulticluster', { ...RENDERED[7]!, spec: { metadataEndpoint: 'http://insecure/metadata/' } }, 'spec.metadataEndpoint'],
    ['CiliumNetworkPolicy', { ...RENDERED[4]!, spec: { endpointSelector: 'app=api' } }, 'spec.endpointSelector'],
    ['CiliumClusterwideNetworkPolicy', { ...RENDERED[5]!, spec: { nodeSelector: { matchLabels: { a: 'b' } }, ingress: 'all' } }, 'spec.ingress'],
    ['NetworkPolicy', { ...RENDERED[9]!, spec: { podSelector: {}, policyTypes: ['Sideways'] } }, 'spec.policyTypes[0]'],
  ] as Array<[string, Manifest, string]>)('rejects an invalid %s with 422 naming %s', async (_kind, object, field) => {
    const status = await rejection(apply(objects, { ...object, metadata: { ...object.metadata, name: 'invalid' } }, 'netfleet'));
    expect(status.code).toBe(422);
    expect(status.details?.causes?.map((cause) => cause.field)).toContain(field);
  });

  it.each(RENDERED.filter((object) => object.apiVersion.includes('.') && !object.apiVersion.startsWith('networking.k8s.io')).map((object) => [object.kind, object] as const))(
    'rejects an unknown field in a %s under fieldValidation=Strict, naming it', async (_kind, object) => {
      const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
      const [group, version] = object.apiVersion.split('/') as [string, string];
      const plural = pluralOf(object.kind);
      const namespace = object.metadata?.namespace;
      const body = { ...object, metadata: { ...object.metadata, name: 'strict-kind' }, spec: { ...(object.spec as object), notInSchema: true } };
      const request = { group, version, plural, body, fieldValidation: 'Strict' };
      const status = await rejection(namespace
        ? custom.createNamespacedCustomObject({ ...request, namespace })
        : custom.createClusterCustomObject(request));
      expect(status.code).toBe(400);
      expect(status.message).toContain('unknown field "spec.notInSchema"');
    },
  );

  it('applies schema defaults on write, as kube-apiserver does for IngressNginxController', async () => {
    const read = await objects.read({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'main' } }) as KubernetesObject & { spec: Record<string, unknown> };
    expect(read.spec).toMatchObject({
      minReplicas: 1, maxReplicas: 1, validationEnabled: true, loadBalancer: { realIPHeader: 'X-Forwarded-For' }, hsts: false,
    });
    expect(managedBy(read, 'netfleet')).toEqual({ 'f:spec': { 'f:ingressClass': {}, 'f:inlet': {}, 'f:loadBalancer': {} } });
  });

  it('rejects a wrong enum value with 422 Invalid naming the field', async () => {
    const status = await rejection(apply(objects, { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'bad-inlet' }, spec: { ingressClass: 'nginx', inlet: 'Teleport' } }, 'netfleet'));
    expect(status.code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.details?.causes).toContainEqual(expect.objectContaining({ field: 'spec.inlet', reason: 'FieldValueNotSupported' }));
  });

  it('rejects a value against a pattern with the field path (IstioFederation.spec.trustDomain)', async () => {
    const status = await rejection(apply(objects, { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: { name: 'bad' }, spec: { trustDomain: 'no spaces allowed', metadataEndpoint: 'https://istio.x/metadata/' } }, 'netfleet'));
    expect(status.code).toBe(422);
    expect(status.message).toContain('spec.trustDomain');
  });

  it.each([
    ['hostPort.httpsPort 6443', { inlet: 'HostPort', hostPort: { httpPort: 80, httpsPort: 6443 } }, 'spec.hostPort.httpsPort', "can't be 6443"],
    ['enableHTTP3 without controllerVersion 1.10', { inlet: 'LoadBalancer', loadBalancer: {}, enableHTTP3: true, controllerVersion: '1.9' }, 'spec', 'controllerVersion'],
  ])('enforces the CRD x-kubernetes-validations (CEL) rule on %s', async (_case, spec, field, message) => {
    const status = await rejection(apply(objects, { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'cel' }, spec: { ingressClass: 'cel', ...spec } }, 'netfleet'));
    expect(status.code).toBe(422);
    const cause = status.details?.causes?.find((candidate) => candidate.field === field);
    expect(cause?.message).toContain(message);
  });

  it('rejects an unknown field under fieldValidation=Strict with the field path', async () => {
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const body = { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: { name: 'strict' }, spec: { nodeSelector: {}, sourceIP: { mode: 'VirtualIPAddress', virtualIPAddress: { ip: '10.0.0.6' } }, surprise: true } };
    const status = await rejection(custom.createClusterCustomObject({ group: 'network.deckhouse.io', version: 'v1alpha1', plural: 'egressgateways', body, fieldValidation: 'Strict' }));
    expect(status.code).toBe(400);
    expect(status.reason).toBe('BadRequest');
    expect(status.message).toBe('strict decoding error: unknown field "spec.surprise"');
  });

  it('refuses an unknown field in a server-side apply with 500 and the field path, as kube-apiserver\'s field manager does', async () => {
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const body = { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioMulticluster', metadata: { name: 'strict' }, spec: { metadataEndpoint: 'https://istio.x/metadata/', bogus: 1 } };
    const status = await rejection(custom.patchClusterCustomObject(
      { group: 'deckhouse.io', version: 'v1alpha1', plural: 'istiomulticlusters', name: 'strict', body, fieldManager: 'netfleet', fieldValidation: 'Strict' },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ));
    expect(status.code).toBe(500);
    expect(status.message).toBe('failed to create typed patch object (/strict; deckhouse.io/v1alpha1, Kind=IstioMulticluster): .spec.bogus: field not declared in schema');
  });

  it('rejects a CRD that still carries DKP x-doc keys, as kube-apiserver does ("field not declared in schema")', async () => {
    const path = join(dkpDir(), 'crds', 'istio', 'istiofederation.yaml');
    const raw = parseAllDocuments(readFileSync(path, 'utf8'))[0]!.toJS() as KubernetesObject;
    raw.metadata = { name: 'istiofederations.deckhouse.io' };
    // CustomObjectsApi sends the body as is; the typed CRD serializer of client-node would drop the x- keys.
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const status = await rejection(custom.patchClusterCustomObject(
      { ...CRD_RESOURCE, name: 'istiofederations.deckhouse.io', body: raw, fieldManager: 'dkp', force: true, dryRun: 'All' },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    ));
    expect(status.code).toBe(500);
    expect(status.message).toMatch(/^failed to create typed patch object \(\/istiofederations.deckhouse.io; apiextensions.k8s.io\/v1, Kind=CustomResourceDefinition\): errors:\n {2}.*x-doc-.*: field not declared in schema/);
  });

  it.each(Object.keys(DKP_CRDS_REJECTED_BY_KUBE_APISERVER))('refuses %s, as kube-apiserver v1.28.7 does', async (file) => {
    const [crd] = loadDkpCrdFile(file).crds;
    const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
    const status = await rejection(custom.createClusterCustomObject({ ...CRD_RESOURCE, body: crd! }));
    expect(status.code).toBe(422);
    expect(status.message).toMatch(/openAPIV3Schema/);
  });
});


describe.skipIf(!dkpReferencePresent())(`when a ModuleConfig is written (DKP validating webhook module-configs.deckhouse-webhook.deckhouse.io)${DKP_REFERENCE_SKIP}`, () => {
  const moduleConfig = (name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name }, spec });

  it('accepts settings that match module-config/<module>.yaml at its x-config-version', async () => {
    const applied = await apply(objects, moduleConfig('cni-cilium', { version: 1, settings: { tunnelMode: 'VXLAN' } }), 'netfleet');
    expect((applied as Manifest).spec).toMatchObject({ settings: { tunnelMode: 'VXLAN' } });
  });

  it('denies an unknown settings key with a 400 naming the field (a denial without a code, as kube-apiserver v1.28 relays it)', async () => {
    const status = await rejection(apply(objects, moduleConfig('cni-cilium', { version: 1, settings: { tunelMode: 'VXLAN' } }), 'netfleet'));
    expect(status.code).toBe(400);
    expect(status.reason).toBeUndefined();
    expect(status.message).toContain('admission webhook "module-configs.deckhouse-webhook.deckhouse.io" denied the request');
    expect(status.message).toContain('spec.settings.tunelMode');
  });

  it('denies a settings value outside its enum with the field path', async () => {
    const status = await rejection(apply(objects, moduleConfig('cni-cilium', { version: 1, settings: { tunnelMode: 'GRE' } }), 'netfleet'));
    expect(status.code).toBe(400);
    expect(status.message).toContain('spec.settings.tunnelMode');
  });

  it('denies non-empty settings without spec.version', async () => {
    const status = await rejection(apply(objects, moduleConfig('kube-dns', { settings: { enableLogs: true } }), 'netfleet'));
    expect(status.code).toBe(400);
    expect(status.message).toContain('spec.version');
  });

  it('denies a version newer than the schema has', async () => {
    const status = await rejection(apply(objects, moduleConfig('cni-cilium', { version: 2, settings: { tunnelMode: 'VXLAN' } }), 'netfleet'));
    expect(status.message).toContain('spec.version');
  });

  it('lets settings through untouched when the webhook is off (the CRD itself preserves unknown settings)', async () => {
    const plain = await startKubeApiServer({ moduleConfigWebhook: false });
    try {
      await plain.installDkpCrds((file) => file === 'deckhouse-controller/module-config.yaml');
      const client = KubernetesObjectApi.makeApiClient(plain.kubeConfig());
      const applied = await apply(client, moduleConfig('cni-cilium', { settings: { anything: { goes: 1 } } }), 'netfleet') as Manifest;
      expect(applied.spec).toEqual({ settings: { anything: { goes: 1 } } });
    } finally {
      await plain.stop();
    }
  });
});

/** The plural resource name the DKP CRDs declare for a kind. */
function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return lower.endsWith('s') ? `${lower}es` : `${lower}s`;
}
