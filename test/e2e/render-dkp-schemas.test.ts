/**
 * Acceptance: every object the example fleet renders, for every cluster, passes the DKP
 * schemas. Each object is server-side-applied with dryRun=All and fieldValidation=Strict to
 * the Kubernetes API test server, which has the DKP CRDs installed (stripped as DKP does)
 * and DKP's ModuleConfig webhook (settings against module-config/<module>.yaml).
 */
import { fileURLToPath } from 'node:url';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, MODULE_CONFIG_VERSIONS, groupOf, renderRepository, type KubeObject, type RenderResult } from '@netfleet/shared';
import { DKP_REFERENCE_SKIP, dkpReferencePresent, loadModuleSettingsSchemas } from '../src/dkp.js';
import { startKubeApiServer, type KubeApiServer } from '../src/kube/server.js';
import { rejection } from '../src/kube/test-support.js';

const EXAMPLE_FLEET = fileURLToPath(new URL('../../examples/fleet', import.meta.url));
const FIELD_MANAGER = 'netfleet';

let kube: KubeApiServer;
let results: Map<string, RenderResult>;

/**
 * Server-side apply of any object with fieldValidation=Strict. Objects of API groups go
 * through CustomObjectsApi, which sends the body as is (typed clients would drop unknown
 * fields before the server could refuse them); the core group has no generic path there.
 */
async function strictApply(object: KubeObject, dryRun: boolean): Promise<unknown> {
  const config = kube.kubeConfig();
  const dry = dryRun ? 'All' : undefined;
  const contentType = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  const { name, namespace } = object.metadata;
  if (group === '') {
    const core = config.makeApiClient(CoreV1Api);
    const common = { name, body: object, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', dryRun: dry };
    if (object.kind === 'Namespace') return core.patchNamespace(common, contentType);
    if (object.kind === 'ConfigMap') return core.patchNamespacedConfigMap({ ...common, namespace: namespace! }, contentType);
    throw new Error(`no strict apply path for core kind ${object.kind}`);
  }
  const custom = config.makeApiClient(CustomObjectsApi);
  const discovery = await custom.getAPIResources({ group: group!, version: version! });
  const resource = discovery.resources.find((candidate) => candidate.kind === object.kind && !candidate.name.includes('/'));
  if (!resource) throw new Error(`the server does not serve ${object.apiVersion} ${object.kind}`);
  const target = { group: group!, version: version!, plural: resource.name, name, body: object, fieldManager: FIELD_MANAGER, fieldValidation: 'Strict', dryRun: dry };
  return namespace === undefined
    ? custom.patchClusterCustomObject(target, contentType)
    : custom.patchNamespacedCustomObject({ ...target, namespace }, contentType);
}

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds();
  const rendered = await renderRepository(new FsRepoReader(EXAMPLE_FLEET));
  expect(rendered.problems).toEqual([]);
  results = rendered.results;
  // Namespaced objects need their namespace to exist, even in a dry run.
  const namespaces = new Map<string, KubeObject>();
  for (const result of results.values()) {
    for (const { object } of result.objects) if (object.kind === 'Namespace') namespaces.set(object.metadata.name, object);
  }
  for (const namespace of namespaces.values()) await strictApply(namespace, false);
}, 60_000);

afterAll(async () => {
  await kube?.stop();
});

describe.skipIf(!dkpReferencePresent())(`when the example fleet is checked against the DKP schemas${DKP_REFERENCE_SKIP}`, () => {
  it('accepts every rendered object of every cluster (dry-run apply, strict field validation)', async () => {
    const refused: string[] = [];
    let checked = 0;
    for (const result of results.values()) {
      for (const { id, object } of result.objects) {
        try {
          await strictApply(object, true);
          checked += 1;
        } catch (error) {
          const body = (error as { body?: unknown }).body;
          refused.push(`${result.cluster} ${id}: ${typeof body === 'string' ? body : String(error)}`);
        }
      }
    }
    expect(refused).toEqual([]);
    expect(checked).toBe([...results.values()].reduce((sum, result) => sum + result.objects.length, 0));
    const kinds = new Set([...results.values()].flatMap((r) => r.objects.map((o) => `${groupOf(o.object.apiVersion)}/${o.object.kind}`)));
    expect([...kinds].sort()).toEqual([
      '/ConfigMap',
      '/Namespace',
      'cilium.io/CiliumClusterwideNetworkPolicy',
      'cilium.io/CiliumNetworkPolicy',
      'deckhouse.io/IngressNginxController',
      'deckhouse.io/IstioFederation',
      'deckhouse.io/IstioMulticluster',
      'deckhouse.io/ModuleConfig',
      'network.deckhouse.io/EgressGateway',
      'network.deckhouse.io/EgressGatewayPolicy',
      'network.deckhouse.io/MetalLoadBalancerClass',
      'networking.k8s.io/NetworkPolicy',
      'security.istio.io/PeerAuthentication',
    ]);
  }, 120_000);

  it('writes every module at the settings version its DKP schema declares, so the settings are checked', () => {
    const schemas = loadModuleSettingsSchemas();
    for (const [module, version] of Object.entries(MODULE_CONFIG_VERSIONS)) {
      expect(schemas.get(module)?.configVersion, module).toBe(version);
    }
  });

  it('refuses a rendered object with an unknown field (the check can fail)', async () => {
    const { object } = results.get('eu-fra-1')!.objects.find((o) => o.object.kind === 'IstioFederation')!;
    const tampered = { ...object, spec: { ...(object.spec as object), peerColor: 'blue' } };
    const status = await rejection(strictApply(tampered, true));
    expect(status.code).toBe(500);
    expect(status.message).toContain('.spec.peerColor: field not declared in schema');
  });

  it('refuses a rendered ModuleConfig with an unknown setting', async () => {
    const { object } = results.get('us-nyc-1')!.objects.find((o) => o.id === 'deckhouse.io_ModuleConfig__istio')!;
    const spec = object.spec as { settings: Record<string, unknown> };
    const tampered = { ...object, spec: { ...spec, settings: { ...spec.settings, federation: { enabled: true, mtu: 1400 } } } };
    const status = await rejection(strictApply(tampered, true));
    // DKP's ModuleConfig webhook denies it; kube-apiserver relays a webhook denial as 400.
    expect(status.code).toBe(400);
    expect(status.message).toContain('denied the request');
    expect(status.message).toContain('spec.settings.federation.mtu');
  });
});
