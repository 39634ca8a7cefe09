/**
 * Deleting a Namespace or a CRD as kube-apiserver and its controllers do it, seen through
 * client-node: Terminating first (deletionTimestamp, phase or condition), no new content
 * meanwhile, the contents deleted by the namespace controller / CRD finalizer (objects with
 * finalizers hold it), then the Namespace or CRD itself goes, each step a watch event.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions,
  type V1CustomResourceDefinition, type V1Namespace,
} from '@kubernetes/client-node';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer, type KubeApiServer } from './server.js';
import { apply, eventually, rejection, startWatch, type SeenEvent } from './test-support.js';

let kube: KubeApiServer;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let extensions: ApiextensionsV1Api;
let objects: KubernetesObjectApi;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const TOOLS = { group: 'example.netfleet.io', version: 'v1', plural: 'tools' };
const CRD_NAME = 'tools.example.netfleet.io';

const toolCrd = (): V1CustomResourceDefinition => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: CRD_NAME },
  spec: {
    group: 'example.netfleet.io',
    scope: 'Namespaced',
    names: { plural: 'tools', singular: 'tool', kind: 'Tool', listKind: 'ToolList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } } },
    }],
  },
});

const tool = (namespace: string, name: string, finalizers?: string[]) => ({
  apiVersion: 'example.netfleet.io/v1', kind: 'Tool', metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) }, spec: {},
});

const conditionsOf = (object: { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }) =>
  object.status?.conditions ?? [];

const summary = (events: SeenEvent[]) => events.map((event) => `${event.type} ${event.name}`);

/** A DELETE answered with the object itself (client-node would read it as a V1Status). */
async function deleteForObject<T>(path: string): Promise<T> {
  const response = await fetch(`${kube.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}` } });
  expect(response.status).toBe(200);
  return await response.json() as T;
}

beforeAll(async () => {
  kube = await startKubeApiServer();
  core = kube.kubeConfig().makeApiClient(CoreV1Api);
  custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  extensions = kube.kubeConfig().makeApiClient(ApiextensionsV1Api);
  objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
  await extensions.createCustomResourceDefinition({ body: toolCrd() });
});

afterEach(() => {
  kube.holdTermination(false);
});

afterAll(async () => {
  await kube?.stop();
});

describe('when a namespace is deleted', () => {
  it('answers with it Terminating, keeps serving it, refuses new content, then the controller deletes the contents and the namespace', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'inside' }, data: { v: '1' } } });
    await custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'doomed', body: tool('doomed', 'hammer') });
    const namespaces = await startWatch(kube.kubeConfig(), '/api/v1/namespaces', { fieldSelector: 'metadata.name=doomed', resourceVersion: '0' });
    const contents = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/doomed/configmaps', { resourceVersion: '0' });
    await eventually(() => namespaces.events.length === 1 && contents.events.length === 1);
    kube.holdTermination(true);

    const deleted = await deleteForObject<V1Namespace>('/api/v1/namespaces/doomed');
    expect(deleted.kind).toBe('Namespace');
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.status?.phase).toBe('Terminating');
    expect(deleted.spec?.finalizers).toEqual(['kubernetes']);
    await eventually(() => namespaces.events.some((event) => event.type === 'MODIFIED'));
    expect((namespaces.events[1]!.object.status as { phase: string }).phase).toBe('Terminating');
    expect((await core.readNamespace({ name: 'doomed' })).status?.phase).toBe('Terminating');
    expect((await core.listNamespace()).items.map((namespace) => namespace.metadata?.name)).toContain('doomed');

    const created = await rejection(core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'late' } } }));
    expect(created).toMatchObject({
      code: 403, reason: 'Forbidden',
      message: 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      details: { name: 'late', kind: 'configmaps', causes: [{ reason: 'NamespaceTerminating', message: 'namespace doomed is being terminated', field: 'metadata.namespace' }] },
    });
    const applied = await rejection(apply(objects, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace: 'doomed' } }, 'netfleet'));
    expect(applied).toMatchObject({ code: 403, reason: 'Forbidden', message: 'configmaps "applied" is forbidden: unable to create new content in namespace doomed because it is being terminated' });
    const customCreated = await rejection(custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'doomed', body: tool('doomed', 'saw') }));
    expect(customCreated.message).toBe('tools.example.netfleet.io "saw" is forbidden: unable to create new content in namespace doomed because it is being terminated');

    // Existing objects can still be changed; the namespace cannot be created again or deleted twice.
    const patched = await core.patchNamespacedConfigMap({ name: 'inside', namespace: 'doomed', body: { data: { v: '2' } } }, mergePatch);
    expect(patched.data).toEqual({ v: '2' });
    expect(await rejection(core.createNamespace({ body: { metadata: { name: 'doomed' } } }))).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'namespaces "doomed" already exists' });
    expect(await rejection(core.deleteNamespace({ name: 'doomed' }))).toMatchObject({
      code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on namespaces "doomed": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    });
    // Server-side apply of the Namespace updates the terminating one; it stays Terminating.
    const reapplied = await apply(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed', labels: { again: 'yes' } } }, 'netfleet') as V1Namespace;
    expect(reapplied.status?.phase).toBe('Terminating');
    expect(reapplied.spec?.finalizers).toEqual(['kubernetes']);

    kube.holdTermination(false);
    await eventually(async () => (await rejection(core.readNamespace({ name: 'doomed' }))).code === 404);
    await eventually(() => namespaces.events.at(-1)?.type === 'DELETED');
    expect(summary(contents.events)).toEqual(['ADDED inside', 'MODIFIED inside', 'DELETED inside']);
    const [, terminating, relabelled, finishing, gone] = namespaces.events;
    expect(summary(namespaces.events)).toEqual(['ADDED doomed', 'MODIFIED doomed', 'MODIFIED doomed', 'MODIFIED doomed', 'DELETED doomed']);
    expect(terminating!.object.metadata).toHaveProperty('deletionTimestamp');
    expect(relabelled!.object.metadata).toHaveProperty('labels.again', 'yes');
    expect(conditionsOf(finishing!.object).map((condition) => `${condition.type}=${condition.status}`)).toEqual([
      'NamespaceDeletionDiscoveryFailure=False', 'NamespaceDeletionGroupVersionParsingFailure=False', 'NamespaceDeletionContentFailure=False',
      'NamespaceContentRemaining=False', 'NamespaceFinalizersRemaining=False',
    ]);
    expect(gone!.object.spec).toEqual({ finalizers: [] });
    const left = await custom.listClusterCustomObject({ ...TOOLS }) as { items: Array<{ metadata: { namespace: string } }> };
    expect(left.items.filter((item) => item.metadata.namespace === 'doomed')).toEqual([]);
    namespaces.stop();
    contents.stop();

    // Gone for good: the name can be used again.
    const again = await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    expect(again.status?.phase).toBe('Active');
  });

  it('stays Terminating while an object in it keeps a finalizer, saying so in its conditions, and goes once the finalizer is removed', async () => {
    await core.createNamespace({ body: { metadata: { name: 'held' } } });
    await core.createNamespacedConfigMap({ namespace: 'held', body: { metadata: { name: 'kept', finalizers: ['netfleet.io/keep'] } } });
    await custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'held', body: tool('held', 'wrench', ['netfleet.io/keep']) });
    await core.deleteNamespace({ name: 'held' });

    const waiting = await eventually(async () => {
      const namespace = await core.readNamespace({ name: 'held' });
      if (!conditionsOf(namespace).some((condition) => condition.type === 'NamespaceContentRemaining')) throw new Error('no conditions yet');
      return namespace;
    });
    expect(conditionsOf(waiting).slice(3)).toMatchObject([
      { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps. has 1 resource instances, tools.example.netfleet.io has 1 resource instances' },
      { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: netfleet.io/keep in 2 resource instances' },
    ]);
    const kept = await core.readNamespacedConfigMap({ name: 'kept', namespace: 'held' });
    expect(kept.metadata?.deletionTimestamp).toBeDefined();
    // A second DELETE of an object already being deleted changes nothing.
    await core.deleteNamespacedConfigMap({ name: 'kept', namespace: 'held' });
    expect((await core.readNamespacedConfigMap({ name: 'kept', namespace: 'held' })).metadata?.resourceVersion).toBe(kept.metadata?.resourceVersion);

    await core.patchNamespacedConfigMap({ name: 'kept', namespace: 'held', body: { metadata: { finalizers: null } } }, mergePatch);
    await custom.patchNamespacedCustomObject({ ...TOOLS, namespace: 'held', name: 'wrench', body: { metadata: { finalizers: null } } }, mergePatch);
    await eventually(async () => (await rejection(core.readNamespace({ name: 'held' }))).code === 404);
  });

  it('answers a dry-run delete with the namespace as it would be, changing nothing', async () => {
    await core.createNamespace({ body: { metadata: { name: 'dry' } } });
    const answer = await deleteForObject<V1Namespace>('/api/v1/namespaces/dry?dryRun=All');
    expect(answer.status?.phase).toBe('Terminating');
    expect(answer.metadata?.deletionTimestamp).toBeDefined();
    const stored = await core.readNamespace({ name: 'dry' });
    expect(stored.status?.phase).toBe('Active');
    expect(stored.metadata?.deletionTimestamp).toBeUndefined();
  });
});

describe('when a CustomResourceDefinition is deleted', () => {
  it('marks it Terminating, refuses new objects by POST, deletes its objects, then removes the CRD and stops serving the kind', async () => {
    await core.createNamespace({ body: { metadata: { name: 'tooling' } } });
    await custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'tooling', body: tool('tooling', 'drill') });
    await custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'tooling', body: tool('tooling', 'vise', ['netfleet.io/keep']) });
    const crds = await startWatch(kube.kubeConfig(), '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { fieldSelector: `metadata.name=${CRD_NAME}`, resourceVersion: '0' });
    const tools = await startWatch(kube.kubeConfig(), '/apis/example.netfleet.io/v1/namespaces/tooling/tools', { resourceVersion: '0' });
    await eventually(() => crds.events.length === 1 && tools.events.length === 2);
    kube.holdTermination(true);

    const deleted = await deleteForObject<V1CustomResourceDefinition>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`);
    expect(deleted.kind).toBe('CustomResourceDefinition');
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    expect(deleted.metadata?.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    expect(conditionsOf(deleted).find((condition) => condition.type === 'Terminating')).toMatchObject({
      status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
    });
    expect(await rejection(custom.createNamespacedCustomObject({ ...TOOLS, namespace: 'tooling', body: tool('tooling', 'late') }))).toMatchObject({
      code: 405, reason: 'MethodNotAllowed', message: 'create not allowed while custom resource definition is terminating',
      details: { group: 'example.netfleet.io', kind: 'tools' },
    });
    // apiextensions-apiserver checks only the create verb: server-side apply still creates.
    await apply(objects, tool('tooling', 'applied'), 'netfleet');
    expect((await custom.listNamespacedCustomObject({ ...TOOLS, namespace: 'tooling' }) as { items: unknown[] }).items).toHaveLength(3);

    kube.holdTermination(false);
    await eventually(async () => {
      const crd = await extensions.readCustomResourceDefinition({ name: CRD_NAME });
      return conditionsOf(crd).some((condition) => condition.reason === 'InstanceDeletionInProgress');
    });
    await eventually(() => summary(tools.events).includes('DELETED applied') && summary(tools.events).includes('DELETED drill'));
    expect((await custom.getNamespacedCustomObject({ ...TOOLS, namespace: 'tooling', name: 'vise' }) as { metadata: { deletionTimestamp?: string } }).metadata.deletionTimestamp).toBeDefined();
    expect((await extensions.readCustomResourceDefinition({ name: CRD_NAME })).metadata?.deletionTimestamp).toBeDefined();

    await custom.patchNamespacedCustomObject({ ...TOOLS, namespace: 'tooling', name: 'vise', body: { metadata: { finalizers: null } } }, mergePatch);
    await eventually(() => crds.events.at(-1)?.type === 'DELETED');
    expect(conditionsOf(crds.events.at(-1)!.object).find((condition) => condition.type === 'Terminating')).toMatchObject({
      status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances',
    });
    expect(summary(crds.events)).toEqual([`ADDED ${CRD_NAME}`, `MODIFIED ${CRD_NAME}`, `MODIFIED ${CRD_NAME}`, `DELETED ${CRD_NAME}`]);
    expect((await rejection(custom.listNamespacedCustomObject({ ...TOOLS, namespace: 'tooling' }))).code).toBe(404);
    crds.stop();
    tools.stop();
  });
});
