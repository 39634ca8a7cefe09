/**
 * The plain verbs as kube-apiserver serves them: create/get/list/update/patch/delete with
 * resourceVersion, generation, uid, optimistic concurrency, selectors and pagination,
 * status subresource, dry runs, field validation and the CRD lifecycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions,
  type V1CustomResourceDefinition, type V1Service,
} from '@kubernetes/client-node';
import { DKP_REFERENCE_SKIP, dkpReferencePresent } from '../dkp.js';
import { objectSchema } from './crd-schema.js';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer, type KubeApiServer } from './server.js';
import { eventually, rejection } from './test-support.js';

let kube: KubeApiServer;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let extensions: ApiextensionsV1Api;

const WIDGETS = { group: 'example.netfleet.io', version: 'v1', plural: 'widgets' };

const widgetCrd = (versions: Array<{ name: string; served: boolean; storage: boolean }>): V1CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.netfleet.io' },
  spec: {
    group: 'example.netfleet.io',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: versions.map((version) => ({
      ...version,
      subresources: { status: {} },
      schema: objectSchema({
        required: ['size'],
        properties: {
          size: { type: 'integer', minimum: 1, maximum: 10 },
          // client-node's V1JSONSchemaProps names `enum` and `default` `_enum` and `_default`.
          color: { type: 'string', _enum: ['red', 'blue'], _default: 'red' },
        },
      }, { properties: { ready: { type: 'boolean' } } }),
    })),
  },
});

const widget = (name: string, spec: Record<string, unknown>, labels?: Record<string, string>) => ({
  apiVersion: 'example.netfleet.io/v1', kind: 'Widget', metadata: { name, ...(labels ? { labels } : {}) }, spec,
});

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  kube = await startKubeApiServer();
  core = kube.kubeConfig().makeApiClient(CoreV1Api);
  custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  extensions = kube.kubeConfig().makeApiClient(ApiextensionsV1Api);
  await core.createNamespace({ body: { metadata: { name: 'crud' } } });
  await extensions.createCustomResourceDefinition({ body: widgetCrd([{ name: 'v1', served: true, storage: true }]) });
});

afterAll(async () => {
  await kube?.stop();
});

describe('when objects are created and read', () => {
  it('assigns uid, creationTimestamp, resourceVersion and generation 1 to a custom resource', async () => {
    const created = await custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', body: widget('first', { size: 1 }) }) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    expect(created.metadata).toMatchObject({ name: 'first', namespace: 'crud', generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(0);
    expect(created.spec.color).toBe('red');
  });

  it('answers 409 AlreadyExists for a second create', async () => {
    const status = await rejection(custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', body: widget('first', { size: 1 }) }));
    expect(status).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'widgets.example.netfleet.io "first" already exists' });
  });

  it('answers 404 NotFound naming the namespace when it does not exist', async () => {
    const status = await rejection(core.createNamespacedConfigMap({ namespace: 'nowhere', body: { metadata: { name: 'x' } } }));
    expect(status).toMatchObject({ code: 404, reason: 'NotFound', message: 'namespaces "nowhere" not found' });
  });

  it('answers 404 for a missing object', async () => {
    const status = await rejection(core.readNamespacedConfigMap({ name: 'missing', namespace: 'crud' }));
    expect(status).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "missing" not found' });
  });

  it('rejects a schema violation with 422 Invalid and causes per field', async () => {
    const status = await rejection(custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', body: widget('bad', { size: 11, color: 'green' }) }));
    expect(status.code).toBe(422);
    expect(status.message).toBe('Widget.example.netfleet.io "bad" is invalid: [spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10, spec.color: Unsupported value: "green": supported values: "red", "blue"]');
    expect(status.details?.causes).toEqual([
      { reason: 'FieldValueInvalid', message: 'Invalid value: 11: spec.size in body should be less than or equal to 10', field: 'spec.size' },
      { reason: 'FieldValueNotSupported', message: 'Unsupported value: "green": supported values: "red", "blue"', field: 'spec.color' },
    ]);
  });

  it('reports a missing required field as Required value', async () => {
    const status = await rejection(custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', body: widget('empty', {}) }));
    expect(status.details?.causes).toEqual([{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.size' }]);
  });
});

describe('when unknown fields are sent (fieldValidation, default Warn since 1.27)', () => {
  it('prunes them and answers with a Warning header by default', async () => {
    const response = await custom.createNamespacedCustomObjectWithHttpInfo({ ...WIDGETS, namespace: 'crud', body: widget('warned', { size: 2, extra: 1 }) });
    expect(response.headers.warning).toBe('299 - "unknown field \\"spec.extra\\""');
    expect((response.data as { spec: Record<string, unknown> }).spec).toEqual({ size: 2, color: 'red' });
  });

  it('prunes them silently under Ignore', async () => {
    const response = await custom.createNamespacedCustomObjectWithHttpInfo({ ...WIDGETS, namespace: 'crud', body: widget('ignored', { size: 2, extra: 1 }), fieldValidation: 'Ignore' });
    expect(response.headers.warning).toBeUndefined();
  });
});

describe('when objects are updated', () => {
  it('answers 409 Conflict for a stale resourceVersion', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'cas' }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'cas', namespace: 'crud', body: { ...created, data: { v: '2' } } });
    const status = await rejection(core.replaceNamespacedConfigMap({ name: 'cas', namespace: 'crud', body: { ...created, data: { v: '3' } } }));
    expect(status).toMatchObject({
      code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on configmaps "cas": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  it('requires a resourceVersion to update a custom resource', async () => {
    const status = await rejection(custom.replaceNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first', body: widget('first', { size: 3 }) }));
    expect(status.code).toBe(422);
    expect(status.message).toContain('metadata.resourceVersion');
  });

  it('bumps generation on spec changes only, not on label changes', async () => {
    const labelled = await custom.patchNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first', body: { metadata: { labels: { a: 'b' } } } }, mergePatch) as { metadata: { generation: number } };
    expect(labelled.metadata.generation).toBe(1);
    const resized = await custom.patchNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first', body: [{ op: 'replace', path: '/spec/size', value: 4 }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)) as { metadata: { generation: number }; spec: { size: number } };
    expect(resized.spec.size).toBe(4);
    expect(resized.metadata.generation).toBe(2);
  });

  it('keeps status and spec apart: /status changes only status, the main endpoint ignores status', async () => {
    const before = await custom.getNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first' }) as { metadata: { generation: number } };
    const withStatus = await custom.patchNamespacedCustomObjectStatus({ ...WIDGETS, namespace: 'crud', name: 'first', body: { status: { ready: true }, spec: { size: 9 } } }, mergePatch) as { status: { ready: boolean }; spec: { size: number }; metadata: { generation: number } };
    expect(withStatus.status.ready).toBe(true);
    expect(withStatus.spec.size).toBe(4);
    expect(withStatus.metadata.generation).toBe(before.metadata.generation);
    const main = await custom.patchNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first', body: { status: { ready: false } } }, mergePatch) as { status: { ready: boolean } };
    expect(main.status.ready).toBe(true);
  });

  it('answers 415 for a strategic merge patch on a custom resource', async () => {
    const status = await rejection(custom.patchNamespacedCustomObject({ ...WIDGETS, namespace: 'crud', name: 'first', body: { spec: { size: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)));
    expect(status).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });
});

describe('when listing with selectors and pages', () => {
  beforeAll(async () => {
    const fleet: Array<[string, Record<string, string>]> = [
      ['w1', { tier: 'edge', zone: 'a', rank: '1' }], ['w2', { tier: 'edge', zone: 'b', rank: '5' }],
      ['w3', { tier: 'core', zone: 'a', rank: '9' }], ['w4', { tier: 'core' }], ['w5', {}],
    ];
    await core.createNamespace({ body: { metadata: { name: 'lists' } } });
    for (const [name, labels] of fleet) {
      await custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', body: widget(name, { size: 1 }, labels) });
    }
  });

  const names = async (query: { labelSelector?: string; fieldSelector?: string }) => {
    const list = await custom.listNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', ...query }) as { items: Array<{ metadata: { name: string } }> };
    return list.items.map((item) => item.metadata.name);
  };

  it.each([
    ['tier=edge', ['w1', 'w2']],
    ['tier==core', ['w3', 'w4']],
    ['tier!=edge', ['w3', 'w4', 'w5']],
    ['zone in (a,b)', ['w1', 'w2', 'w3']],
    ['zone notin (a)', ['w2', 'w4', 'w5']],
    ['zone', ['w1', 'w2', 'w3']],
    ['!zone', ['w4', 'w5']],
    ['rank>4', ['w2', 'w3']],
    ['rank<2', ['w1']],
    ['tier=core,zone', ['w3']],
  ])('selects %s like kube-apiserver', async (selector, expected) => {
    expect(await names({ labelSelector: selector })).toEqual(expected);
  });

  it('filters by fieldSelector=metadata.name', async () => {
    expect(await names({ fieldSelector: 'metadata.name=w4' })).toEqual(['w4']);
    expect(await names({ fieldSelector: 'metadata.name!=w4' })).toEqual(['w1', 'w2', 'w3', 'w5']);
  });

  it('answers 400 for an unsupported field label or a malformed selector', async () => {
    expect(await rejection(names({ fieldSelector: 'spec.size=1' }))).toMatchObject({ code: 400, message: 'field label not supported: spec.size' });
    expect((await rejection(names({ labelSelector: 'tier in (a' }))).code).toBe(400);
  });

  it('serves every page from the first page\'s resourceVersion, as etcd does', async () => {
    const first = await custom.listNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', limit: 3 }) as { metadata: { continue: string; resourceVersion: string } };
    await custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', body: widget('w9', { size: 1 }) });
    await custom.deleteNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', name: 'w5' });
    const second = await custom.listNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', limit: 3, _continue: first.metadata.continue }) as {
      items: Array<{ metadata: { name: string } }>; metadata: { resourceVersion: string };
    };
    expect(second.items.map((item) => item.metadata.name)).toEqual(['w4', 'w5']);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const fresh = await custom.listNamespacedCustomObject({ ...WIDGETS, namespace: 'lists' }) as { items: Array<{ metadata: { name: string } }> };
    expect(fresh.items.map((item) => item.metadata.name)).toEqual(['w1', 'w2', 'w3', 'w4', 'w9']);
    await custom.deleteNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', name: 'w9' });
    await custom.createNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', body: widget('w5', { size: 1 }) });
  });

  it('pages with limit and continue, counting what remains', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    const remaining: Array<number | undefined> = [];
    do {
      const page = await custom.listNamespacedCustomObject({ ...WIDGETS, namespace: 'lists', limit: 2, ...(token ? { _continue: token } : {}) }) as {
        items: Array<{ metadata: { name: string } }>; metadata: { continue?: string; remainingItemCount?: number };
      };
      seen.push(...page.items.map((item) => item.metadata.name));
      remaining.push(page.metadata.remainingItemCount);
      token = page.metadata.continue;
    } while (token);
    expect(seen).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    expect(remaining).toEqual([3, 1, undefined]);
  });
});

describe('when a request carries dryRun=All', () => {
  it('validates and answers but stores nothing on create, update, patch and delete', async () => {
    await core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    expect((await rejection(core.readNamespacedConfigMap({ name: 'dry', namespace: 'crud' }))).code).toBe(404);
    const real = await core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'dry' }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ name: 'dry', namespace: 'crud', body: { ...real, data: { v: '2' } }, dryRun: 'All' });
    await core.patchNamespacedConfigMap({ name: 'dry', namespace: 'crud', body: { data: { v: '3' } }, dryRun: 'All' }, mergePatch);
    await core.deleteNamespacedConfigMap({ name: 'dry', namespace: 'crud', dryRun: 'All' });
    const after = await core.readNamespacedConfigMap({ name: 'dry', namespace: 'crud' });
    expect(after.data).toEqual({ v: '1' });
    expect(after.metadata?.resourceVersion).toBe(real.metadata?.resourceVersion);
  });
});

describe('when built-in kinds are written', () => {
  it('turns Secret stringData into base64 data, as kube-apiserver does', async () => {
    const secret = await core.createNamespacedSecret({ namespace: 'crud', body: { metadata: { name: 'token' }, stringData: { token: 'hunter2' } } });
    expect(secret.data).toEqual({ token: Buffer.from('hunter2').toString('base64') });
    expect(secret.type).toBe('Opaque');
  });

  it('merges Service ports by port under a strategic merge patch (client-node\'s default patch)', async () => {
    await core.createNamespacedService({ namespace: 'crud', body: { metadata: { name: 'smp' }, spec: { ports: [{ name: 'http', port: 80 }] } } });
    const objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
    const patched = await objects.patch({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'smp', namespace: 'crud' }, spec: { ports: [{ name: 'metrics', port: 9090 }] } } as V1Service);
    expect(patched.spec?.ports?.map((port) => port.port)).toEqual([80, 9090]);
  });

  it('allocates a cluster IP and node ports for a LoadBalancer Service', async () => {
    const service = await core.createNamespacedService({ namespace: 'crud', body: { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 443 }] } } });
    expect(service.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(service.spec?.ports?.[0]).toMatchObject({ port: 443, protocol: 'TCP', targetPort: 443 });
    expect(service.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
  });
});

describe('when leases and events are written (leader election, event recording)', () => {
  it('updates a Lease with optimistic concurrency as leader election does', async () => {
    const coordination = kube.kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await coordination.createNamespacedLease({ namespace: 'crud', body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } } });
    const renewed = await coordination.replaceNamespacedLease({ name: 'leader', namespace: 'crud', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } } });
    expect(renewed.spec?.holderIdentity).toBe('b');
    const status = await rejection(coordination.replaceNamespacedLease({ name: 'leader', namespace: 'crud', body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } } }));
    expect(status.code).toBe(409);
  });

  it('stores core/v1 Events', async () => {
    await core.createNamespacedEvent({ namespace: 'crud', body: {
      metadata: { name: 'drift.1' }, involvedObject: { kind: 'ConfigMap', name: 'cas', namespace: 'crud' }, reason: 'Drift', message: 'corrected', type: 'Normal',
    } });
    const events = await core.listNamespacedEvent({ namespace: 'crud' });
    expect(events.items.map((event) => event.reason)).toEqual(['Drift']);
  });
});

describe('when objects are deleted', () => {
  it('deletes a collection matching a label selector', async () => {
    for (const name of ['k1', 'k2', 'k3']) {
      await core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name, labels: { batch: name === 'k3' ? 'keep' : 'drop' } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: 'crud', labelSelector: 'batch=drop' });
    const left = await core.listNamespacedConfigMap({ namespace: 'crud', labelSelector: 'batch' });
    expect(left.items.map((item) => item.metadata?.name)).toEqual(['k3']);
  });

  it('only marks an object with finalizers for deletion until the last finalizer goes', async () => {
    await core.createNamespacedConfigMap({ namespace: 'crud', body: { metadata: { name: 'held', finalizers: ['netfleet.io/keep'] } } });
    await core.deleteNamespacedConfigMap({ name: 'held', namespace: 'crud' });
    const held = await core.readNamespacedConfigMap({ name: 'held', namespace: 'crud' });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'crud', body: { metadata: { finalizers: null } } }, mergePatch);
    expect((await rejection(core.readNamespacedConfigMap({ name: 'held', namespace: 'crud' }))).code).toBe(404);
  });
});

describe('when a request is not one kube-apiserver serves', () => {
  it('answers 405 for a method the resource does not allow and 415 for an unknown body format', async () => {
    const headers = { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}` };
    const post = await fetch(`${kube.url}/api/v1/namespaces/crud/configmaps/cas`, { method: 'POST', headers, body: '{}' });
    expect(post.status).toBe(405);
    const put = await fetch(`${kube.url}/api/v1/namespaces/crud/configmaps`, { method: 'POST', headers: { ...headers, 'content-type': 'application/xml' }, body: '<x/>' });
    expect(await put.json()).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
  });
});

describe('when a CustomResourceDefinition changes', () => {
  it('serves only served versions, and stops serving the kind when the CRD is deleted', async () => {
    const gadgets = { ...widgetCrd([{ name: 'v1', served: true, storage: true }, { name: 'v2', served: false, storage: false }]) };
    gadgets.metadata = { name: 'gadgets.example.netfleet.io' };
    gadgets.spec.names = { plural: 'gadgets', kind: 'Gadget' };
    gadgets.spec.scope = 'Cluster';
    const created = await extensions.createCustomResourceDefinition({ body: gadgets });
    expect(created.status?.conditions?.map((condition) => `${condition.type}=${condition.status}`)).toEqual(['NamesAccepted=True', 'Established=True']);
    const GADGETS = { group: 'example.netfleet.io', plural: 'gadgets' };
    await custom.createClusterCustomObject({ ...GADGETS, version: 'v1', body: { apiVersion: 'example.netfleet.io/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 1 } } });
    expect((await rejection(custom.listClusterCustomObject({ ...GADGETS, version: 'v2' }))).code).toBe(404);
    await extensions.deleteCustomResourceDefinition({ name: 'gadgets.example.netfleet.io' });
    // The CRD finalizer removes its objects, then the CRD (termination.test.ts has the steps).
    await eventually(async () => (await rejection(custom.listClusterCustomObject({ ...GADGETS, version: 'v1' }))).code === 404);
  });

  it('rejects a CRD whose name does not match its plural and group', async () => {
    const wrong = widgetCrd([{ name: 'v1', served: true, storage: true }]);
    wrong.metadata = { name: 'wrong.example.netfleet.io' };
    const status = await rejection(extensions.createCustomResourceDefinition({ body: wrong }));
    expect(status.code).toBe(422);
    expect(status.details?.causes?.[0]).toMatchObject({ field: 'metadata.name' });
  });
});

describe('when a deprecated CRD version or the wrong scope is used', () => {
  it.skipIf(!dkpReferencePresent())(`answers requests to a deprecated version with its deprecationWarning (IngressNginxController v1alpha1)${DKP_REFERENCE_SKIP}`, async () => {
    await kube.installDkpCrds((file) => file.startsWith('ingress-nginx/'));
    const response = await custom.listClusterCustomObjectWithHttpInfo({ group: 'deckhouse.io', version: 'v1alpha1', plural: 'ingressnginxcontrollers' });
    expect(response.headers.warning).toBe('299 - "v1alpha1 is deprecated, please use deckhouse.io/v1 instead"');
  });

  it('answers 404 for a cluster-scoped kind addressed inside a namespace', async () => {
    const response = await fetch(`${kube.url}/apis/deckhouse.io/v1/namespaces/crud/ingressnginxcontrollers`, { headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}` } });
    expect(response.status).toBe(404);
  });
});
