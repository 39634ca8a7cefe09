import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, PRUNE_ANNOTATION, objectId, refOf, type KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, configMap, namespace, rendered, startCluster, uniqueName } from '../../test/harness.js';
import type { KubeClient } from '../kube/client.js';
import { deleteAll, deleteObject, deleteStage } from './delete.js';

let kube: KubeApiServer;
let client: KubeClient;

beforeAll(async () => {
  kube = await startCluster({ crds: (file) => file.includes('deckhouse-controller') });
  client = clientFor(kube);
});
afterAll(() => kube.stop());

const staleOf = (object: KubeObject) => ({ id: objectId(refOf(object)), apiVersion: object.apiVersion });

async function applyManaged(object: KubeObject): Promise<KubeObject> {
  const managed = rendered(object).object;
  await client.apply(managed, { force: false });
  return managed;
}

describe('deleteObject', () => {
  it('deletes an object netfleet manages', async () => {
    const ns = uniqueName('del');
    await applyManaged(namespace(ns));
    const object = await applyManaged(configMap(ns, 'gone', { a: '1' }));
    const result = await deleteObject(client, staleOf(object));
    expect(result.entry.action).toBe(Action.Deleted);
    expect(result.survived).toBe(false);
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'gone' })).toBeUndefined();
  });

  it('with dryRun says what it would delete and deletes nothing', async () => {
    const ns = uniqueName('dry');
    await applyManaged(namespace(ns));
    const object = await applyManaged(configMap(ns, 'stays', { a: '1' }));
    const result = await deleteObject(client, staleOf(object), { dryRun: true });
    expect(result.entry.action).toBe(Action.Deleted);
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'stays' })).toBeDefined();
  });

  it('counts an object that is already gone as deleted', async () => {
    const result = await deleteObject(client, staleOf(configMap(uniqueName('nowhere'), 'x', {})));
    expect(result.entry.action).toBe(Action.Deleted);
  });

  it('keeps an object annotated against pruning', async () => {
    const ns = uniqueName('keep');
    await applyManaged(namespace(ns));
    const object = configMap(ns, 'kept', {});
    object.metadata.annotations = { [PRUNE_ANNOTATION]: 'disabled' };
    await applyManaged(object);
    const result = await deleteObject(client, staleOf(object));
    expect(result.entry).toMatchObject({ action: Action.Skipped, message: expect.stringContaining(PRUNE_ANNOTATION) });
    expect(await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'kept' })).toBeDefined();
  });

  it('keeps an object that no longer carries the owner label', async () => {
    const ns = uniqueName('taken');
    await applyManaged(namespace(ns));
    const object = configMap(ns, 'taken', {});
    await client.apply(object, { force: false });
    const result = await deleteObject(client, staleOf(object));
    expect(result.entry.action).toBe(Action.Skipped);
  });

  it('counts a namespace already terminating as deleted, without a second DELETE (which kube-apiserver refuses)', async () => {
    const ns = await applyManaged(namespace(uniqueName('ending')));
    kube.holdTermination(true);
    try {
      await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name });
      kube.audit.clear();
      const result = await deleteObject(client, staleOf(ns));
      expect(result).toMatchObject({ survived: false, entry: { action: Action.Deleted } });
      expect(kube.audit.filter((entry) => entry.verb === 'delete')).toEqual([]);
    } finally {
      kube.holdTermination(false);
    }
  });

  it('keeps an object of a kind no longer served as a survivor: it may still exist (agent/test/unserved-version.test.ts)', async () => {
    const result = await deleteObject(client, { id: 'deckhouse.io_IstioFederation__peer', apiVersion: 'deckhouse.io/v1alpha1' });
    expect(result.entry.action).toBe(Action.Failed);
    expect(result.survived).toBe(true);
  });

  it('reports a delete that keeps failing as a survivor', async () => {
    const ns = uniqueName('fail');
    await applyManaged(namespace(ns));
    const object = await applyManaged(configMap(ns, 'stuck', {}));
    kube.faults.set({ verbs: ['delete'], status: 500, rate: 1 });
    try {
      const result = await deleteObject(client, staleOf(object));
      expect(result.entry.action).toBe(Action.Failed);
      expect(result.survived).toBe(true);
    } finally {
      await kube.faults.clear();
    }
  });
});

describe('deleteAll', () => {
  it.each([
    { ref: { group: '', kind: 'ConfigMap', namespace: 'a', name: 'b' }, stage: 0 },
    { ref: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: 'main' }, stage: 1 },
    { ref: { group: '', kind: 'Namespace', namespace: '', name: 'a' }, stage: 2 },
    { ref: { group: 'deckhouse.io', kind: 'ModuleConfig', namespace: '', name: 'istio' }, stage: 3 },
  ])('deletes $ref.kind in stage $stage', ({ ref, stage }) => {
    expect(deleteStage(ref)).toBe(stage);
  });

  it('deletes what lives in a namespace before the namespace', async () => {
    const ns = uniqueName('order');
    const nsObject = await applyManaged(namespace(ns));
    const object = await applyManaged(configMap(ns, 'inside', {}));
    kube.audit.clear();
    const results = await deleteAll(client, [staleOf(nsObject), staleOf(object)]);
    expect(results.map((result) => result.entry.action)).toEqual([Action.Deleted, Action.Deleted]);
    expect(kube.audit.filter((entry) => entry.verb === 'delete').map((entry) => entry.resource)).toEqual(['configmaps', 'namespaces']);
  });
});
