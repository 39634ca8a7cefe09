/**
 * An object recorded in the inventory under an apiVersion the cluster no longer serves (its CRD
 * moved on to a new version, an API removed by a Kubernetes upgrade) still exists, or may: it is
 * neither dropped from the inventory as if deleted nor deleted unchecked. The prune reaches it
 * through a version that serves the kind, with every usual check; when none does, it stays in
 * the inventory with an error saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, objectId, refOf, type KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { deleteObject } from '../src/ssa/delete.js';
import type { KubeClient } from '../src/kube/client.js';
import { clientFor, eventually, rendered, startCluster } from './harness.js';

const GROUP = 'gadgets.example.com';
let kube: KubeApiServer;
let client: KubeClient;

const version = (name: string, served: boolean, storage: boolean) => ({
  name, served, storage, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
});
const crd = (versions: ReturnType<typeof version>[]): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `gadgets.${GROUP}` },
  spec: { group: GROUP, scope: 'Cluster', names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' }, versions },
});
const gadget = (name: string, apiVersion = `${GROUP}/v1alpha1`): KubeObject => rendered({ apiVersion, kind: 'Gadget', metadata: { name }, spec: { size: 1 } }).object;
const staleOf = (object: KubeObject) => ({ id: objectId(refOf(object)), apiVersion: object.apiVersion });

beforeAll(async () => {
  kube = await startCluster({ crds: () => false });
  // One client for the whole file, like a long-running agent: it saw v1alpha1 served.
  client = clientFor(kube);
  await client.apply(crd([version('v1alpha1', true, true)]), { force: true });
  await eventually(async () => expect(await client.discovery.find(`${GROUP}/v1alpha1`, 'Gadget')).toBeDefined());
});
afterAll(() => kube.stop());

describe('when the version an object was applied with is no longer served', () => {
  it('prunes it through the version that serves the kind now, after the usual checks', async () => {
    const moved = gadget('moved');
    const kept = { ...gadget('kept-by-annotation'), metadata: { ...gadget('kept-by-annotation').metadata, annotations: { 'netfleet.io/prune': 'disabled' } } };
    await client.apply(moved, { force: false });
    await client.apply(kept, { force: false });
    // The CRD moves on: v1 served and stored, v1alpha1 no longer served.
    await client.apply(crd([version('v1alpha1', false, false), version('v1', true, true)]), { force: true });

    const deleted = await deleteObject(client, staleOf(moved));
    expect(deleted.entry.action).toBe(Action.Deleted);
    expect(deleted.survived).toBe(false);
    expect(await client.get({ apiVersion: `${GROUP}/v1`, kind: 'Gadget', name: 'moved' })).toBeUndefined();

    const skipped = await deleteObject(client, staleOf(kept));
    expect(skipped.entry).toMatchObject({ action: Action.Skipped, message: 'kept: annotated netfleet.io/prune=disabled' });
    expect(await client.get({ apiVersion: `${GROUP}/v1`, kind: 'Gadget', name: 'kept-by-annotation' })).toBeDefined();
  });

  it('keeps it in the inventory with an error naming the version when no version serves the kind', async () => {
    const orphan = gadget('orphan', `${GROUP}/v1`);
    await client.apply(orphan, { force: false });
    await client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `gadgets.${GROUP}` });
    await eventually(async () => expect(await client.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `gadgets.${GROUP}` })).toBeUndefined());

    const result = await deleteObject(client, staleOf(orphan));
    expect(result.survived).toBe(true);
    expect(result.stale).toEqual(staleOf(orphan));
    expect(result.entry).toMatchObject({
      action: Action.Failed,
      message: `not pruned: no version of ${GROUP} serves Gadget any more (it was applied as ${GROUP}/v1); kept in the inventory until one does (the module or CRD back), or remove its line from the inventory ConfigMap once you made sure it is gone`,
    });
  });
});
