/**
 * Server-side apply as kube-apiserver's field manager (structured-merge-diff) does it:
 * ownership per manager in managedFields, conflicts, force, removal of fields a manager
 * stops applying, associative-list merges, no-op applies, dry runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type V1ConfigMap, type V1Service } from '@kubernetes/client-node';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer, type KubeApiServer } from './server.js';
import { apply, managedBy, rejection, type Manifest } from './test-support.js';

let kube: KubeApiServer;
let objects: KubernetesObjectApi;
let core: CoreV1Api;

beforeAll(async () => {
  kube = await startKubeApiServer();
  objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
  core = kube.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'apply' } } });
  await kube.installDkpCrds((file) => file.startsWith('ingress-nginx/') || file.startsWith('istio/istiofederation'));
});

afterAll(async () => {
  await kube?.stop();
});

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): Manifest => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'apply', ...(labels ? { labels } : {}) }, data,
});

describe('when a manager applies an object', () => {
  it('creates it (201) and records an Apply entry with the fields it set, in fieldsV1 form', async () => {
    const applied = await apply(objects, configMap('owned', { a: '1', b: '2' }, { team: 'net' }), 'netfleet');
    expect(applied.metadata?.uid).toBeTruthy();
    expect(managedBy(applied, 'netfleet')).toEqual({ 'f:data': { 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { 'f:team': {} } } });
    expect(applied.metadata?.managedFields?.[0]).toMatchObject({ operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1' });
  });

  it('does not write again when the same configuration is applied (resourceVersion unchanged)', async () => {
    const first = await apply(objects, configMap('noop', { a: '1' }), 'netfleet');
    const second = await apply(objects, configMap('noop', { a: '1' }), 'netfleet');
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
  });

  it('removes fields the manager stops applying when nobody else owns them', async () => {
    await apply(objects, configMap('shrink', { keep: '1', drop: '2' }), 'netfleet');
    const applied = await apply(objects, configMap('shrink', { keep: '1' }), 'netfleet') as V1ConfigMap;
    expect(applied.data).toEqual({ keep: '1' });
  });

  it('keeps a field the manager stops applying when another manager also owns it', async () => {
    await apply(objects, configMap('shared', { both: 'x', mine: '1' }), 'netfleet');
    await apply(objects, configMap('shared', { both: 'x' }), 'operator');
    const applied = await apply(objects, configMap('shared', { mine: '1' }), 'netfleet') as V1ConfigMap;
    expect(applied.data).toEqual({ both: 'x', mine: '1' });
    expect(managedBy(applied, 'operator')).toEqual({ 'f:data': { 'f:both': {} } });
  });

  it('requires apiVersion and kind in the applied configuration (400), as unstructured decoding does', async () => {
    const response = await fetch(`${kube.url}/api/v1/namespaces/apply/configmaps/typeless?fieldManager=netfleet`, {
      method: 'PATCH', headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/apply-patch+yaml' },
      body: 'metadata:\n  name: typeless\ndata:\n  a: "1"\n',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining("Object 'Kind' is missing") });
  });

  it('requires fieldManager, answering 422 like kube-apiserver', async () => {
    const status = await rejection(objects.patch(configMap('nomanager', { a: '1' }), undefined, undefined, undefined, undefined, 'application/apply-patch+yaml'));
    expect(status.code).toBe(422);
    expect(status.message).toContain('fieldManager: Required value');
  });
});

describe('when the applied configuration has a field its schema does not declare', () => {
  // kube-apiserver: structuredMergeManager.Apply fails typing the configuration with a plain
  // error ("failed to create typed patch object (<ns>/<name>; <group>/<version>, Kind=<kind>)"),
  // which ErrorToAPIStatus answers as 500 without a reason, whatever fieldValidation says:
  // the field manager runs before fieldValidation is looked at.
  const sendApply = (path: string, body: unknown, fieldValidation: string | undefined) => fetch(
    `${kube.url}${path}?fieldManager=netfleet${fieldValidation ? `&fieldValidation=${fieldValidation}` : ''}`,
    { method: 'PATCH', headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(body) },
  );

  it.each(['Strict', 'Warn', 'Ignore', undefined])('answers 500 naming the field for a custom resource (fieldValidation=%s)', async (fieldValidation) => {
    const body = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'typo' }, spec: { ingressClass: 'typo', inlet: 'LoadBalancer', loadBalancer: {}, x: 1 } };
    const response = await sendApply('/apis/deckhouse.io/v1/ingressnginxcontrollers/typo', body, fieldValidation);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500,
      message: 'failed to create typed patch object (/typo; deckhouse.io/v1, Kind=IngressNginxController): .spec.x: field not declared in schema',
    });
    expect((await rejection(objects.read({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'typo' } }))).code).toBe(404);
  });

  it.each(['Strict', 'Warn', 'Ignore', undefined])('answers 500 listing every such field for a built-in kind (fieldValidation=%s)', async (fieldValidation) => {
    const body = { ...configMap('typo', { a: '1' }), extra: true, metadata: { name: 'typo', namespace: 'apply', bogus: 'x' } };
    const response = await sendApply('/api/v1/namespaces/apply/configmaps/typo', body, fieldValidation);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toBe([
      'failed to create typed patch object (apply/typo; /v1, Kind=ConfigMap): errors:',
      '  .metadata.bogus: field not declared in schema',
      '  .extra: field not declared in schema',
    ].join('\n'));
  });
});

describe('when the namespace of an applied object does not exist', () => {
  // kube-apiserver: the NamespaceLifecycle admission plugin refuses the create with
  // errors.NewNotFound(v1.Resource("namespaces"), namespace), after the field manager typed it.
  it('answers 404 NotFound naming the namespace', async () => {
    const status = await rejection(apply(objects, { ...configMap('lost', { a: '1' }), metadata: { name: 'lost', namespace: 'nowhere' } }, 'netfleet'));
    expect(status).toMatchObject({
      code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found', details: { name: 'nowhere', kind: 'namespaces' },
    });
  });

  it('reports an undeclared field first (500), as the field manager runs before admission', async () => {
    // Sent as is: client-node's typed serializer would drop the undeclared field.
    const response = await fetch(`${kube.url}/api/v1/namespaces/nowhere/configmaps/lost?fieldManager=netfleet`, {
      method: 'PATCH', headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/apply-patch+yaml' },
      body: JSON.stringify({ ...configMap('lost', { a: '1' }), metadata: { name: 'lost', namespace: 'nowhere' }, spec: {} }),
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { message: string }).message).toBe('failed to create typed patch object (nowhere/lost; /v1, Kind=ConfigMap): .spec: field not declared in schema');
  });
});

describe('when two managers apply different values to one field', () => {
  it('answers 409 Conflict listing the field and the manager owning it', async () => {
    await apply(objects, configMap('contested', { mode: 'fast' }), 'netfleet');
    const status = await rejection(apply(objects, configMap('contested', { mode: 'slow' }), 'intruder'));
    expect(status.code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "netfleet": .data.mode');
    expect(status.details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "netfleet"', field: '.data.mode' }]);
  });

  it('lets force take ownership of the field', async () => {
    const applied = await apply(objects, configMap('contested', { mode: 'slow' }), 'intruder', { force: true }) as V1ConfigMap;
    expect(applied.data?.mode).toBe('slow');
    expect(managedBy(applied, 'intruder')).toEqual({ 'f:data': { 'f:mode': {} } });
    expect(managedBy(applied, 'netfleet')).toBeUndefined();
  });

  it('shares ownership without conflict when both apply the same value', async () => {
    await apply(objects, configMap('agreed', { mode: 'fast' }), 'netfleet');
    const applied = await apply(objects, configMap('agreed', { mode: 'fast' }), 'other');
    expect(managedBy(applied, 'netfleet')).toEqual({ 'f:data': { 'f:mode': {} } });
    expect(managedBy(applied, 'other')).toEqual({ 'f:data': { 'f:mode': {} } });
  });

  it('conflicts with a field an Update (kubectl edit) took over, naming that manager with its apiVersion', async () => {
    await apply(objects, configMap('edited', { level: '1' }), 'netfleet');
    await core.patchNamespacedConfigMap(
      { name: 'edited', namespace: 'apply', body: { data: { level: '2' } }, fieldManager: 'kubectl-edit' },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const edited = await core.readNamespacedConfigMap({ name: 'edited', namespace: 'apply' });
    expect(edited.data?.level).toBe('2');
    const status = await rejection(apply(objects, configMap('edited', { level: '3' }), 'netfleet'));
    expect(status.code).toBe(409);
    expect(status.message).toMatch(/conflict with "kubectl-edit" using v1 at .*: \.data\.level/);
  });
});

describe('when lists are merged by x-kubernetes-list-type/list-map-keys', () => {
  const service = (ports: Array<{ name: string; port: number }>): Manifest => ({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'apply' }, spec: { ports },
  });

  it('merges Service ports from two managers by port/protocol and owns them per key', async () => {
    await apply(objects, service([{ name: 'http', port: 80 }]), 'netfleet');
    const applied = await apply(objects, service([{ name: 'metrics', port: 9090 }]), 'monitoring') as V1Service;
    expect(applied.spec?.ports?.map((port) => port.port)).toEqual([80, 9090]);
    expect(managedBy(applied, 'monitoring')).toEqual({
      'f:spec': { 'f:ports': { 'k:{"port":9090,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {} } } },
    });
  });

  it('removes only the list entry the manager stopped applying', async () => {
    const applied = await apply(objects, service([]), 'monitoring') as V1Service;
    expect(applied.spec?.ports?.map((port) => port.port)).toEqual([80]);
  });

  it('replaces an atomic list (IngressNginxController acceptRequestsFrom) as a whole', async () => {
    const controller = (ranges: string[]): Manifest => ({
      apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'main' },
      spec: { ingressClass: 'nginx', inlet: 'LoadBalancer', loadBalancer: {}, acceptRequestsFrom: ranges },
    });
    await apply(objects, controller(['10.0.0.0/8', '192.168.0.0/16']), 'netfleet');
    const applied = await apply(objects, controller(['172.16.0.0/12']), 'netfleet') as Manifest & { spec: { acceptRequestsFrom: string[] } };
    expect(applied.spec.acceptRequestsFrom).toEqual(['172.16.0.0/12']);
    expect(managedBy(applied, 'netfleet')).toMatchObject({ 'f:spec': { 'f:acceptRequestsFrom': {} } });
  });
});

describe('when the request asks for dryRun=All', () => {
  it('returns the applied object without storing it', async () => {
    const result = await apply(objects, configMap('dry', { a: '1' }), 'netfleet', { dryRun: true }) as V1ConfigMap;
    expect(result.data).toEqual({ a: '1' });
    const status = await rejection(core.readNamespacedConfigMap({ name: 'dry', namespace: 'apply' }));
    expect(status.code).toBe(404);
  });
});

describe('when a custom resource with a status subresource is applied', () => {
  const federation = (trustDomain: string): Manifest => ({
    apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: { name: 'peer' },
    spec: { trustDomain, metadataEndpoint: 'https://istio.peer.example.com/metadata/' },
    status: { metadataCache: { publicLastFetchTimestamp: '2024-01-01T00:00:00Z' } },
  });

  it('ignores status on the main endpoint, bumps generation only on spec changes', async () => {
    const created = await apply(objects, federation('peer.local'), 'netfleet') as Manifest;
    expect(created.status).toBeUndefined();
    expect(created.metadata?.generation).toBe(1);
    const relabelled = await apply(objects, { ...federation('peer.local'), metadata: { name: 'peer', labels: { tier: 'a' } } } as Manifest, 'netfleet');
    expect(relabelled.metadata?.generation).toBe(1);
    const changed = await apply(objects, federation('other.local'), 'netfleet');
    expect(changed.metadata?.generation).toBe(2);
  });
});
