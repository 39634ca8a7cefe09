import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, configMap, namespace, rendered, startCluster, uniqueName } from '../../test/harness.js';
import { kubectlCreate, kubectlJsonPatch, kubectlPatch } from '../../test/kubectl.js';
import type { KubeClient } from '../kube/client.js';
import { applyAllStaged, discoverKinds, kindKey, listLive, planObject } from './apply.js';
import { subtractFields } from './cleanup.js';
import { AppliedMemo } from './memo.js';
import type { RenderedObject } from '@netfleet/shared';

describe('subtractFields', () => {
  it.each([
    { name: 'a leaf both own', a: { 'f:data': { 'f:a': {}, 'f:b': {} } }, b: { 'f:data': { 'f:a': {} } }, want: { 'f:data': { 'f:b': {} } } },
    { name: 'everything', a: { 'f:data': { '.': {}, 'f:a': {} } }, b: { 'f:data': { '.': {}, 'f:a': {} } }, want: undefined },
    { name: 'a map node the other does not own itself', a: { 'f:data': { '.': {}, 'f:a': {} } }, b: { 'f:data': { 'f:a': {} } }, want: { 'f:data': {} } },
    { name: 'keyed list items', a: { 'f:spec': { 'f:ports': { 'k:{"port":80}': { '.': {}, 'f:port': {} }, 'k:{"port":443}': { '.': {}, 'f:port': {} } } } }, b: { 'f:spec': { 'f:ports': { 'k:{"port":80}': { '.': {}, 'f:port': {} } } } }, want: { 'f:spec': { 'f:ports': { 'k:{"port":443}': { '.': {}, 'f:port': {} } } } } },
  ])('removes $name', ({ a, b, want }) => {
    expect(subtractFields(a, b)).toEqual(want);
  });
});

describe('when netfleet adopts an object another tool created', () => {
  let kube: KubeApiServer;
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = await startCluster({ crds: () => false });
    client = clientFor(kube);
    ns = uniqueName('adopt');
    await client.apply(namespace(ns), { force: false });
  });
  afterAll(() => kube.stop());

  async function sync(object: RenderedObject, memo: AppliedMemo) {
    const kinds = await discoverKinds(client, [object]);
    const served = kinds.get(kindKey(object.object));
    const live = await listLive(client, [served!]);
    const plan = await planObject(client, object, served, live.get(object.id), memo);
    const [result] = await applyAllStaged(client, [plan], memo);
    return result!;
  }

  const dataOf = async (name: string) => (await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }))!.data;

  it.each([
    { manager: 'kubectl-client-side-apply', how: 'kubectl apply (client-side)' },
    { manager: 'kubectl-create', how: 'kubectl create' },
    { manager: 'dhctl', how: 'dhctl bootstrap' },
    { manager: 'deckhouse-controller', how: 'Deckhouse' },
  ])('removes a field later dropped from git though $manager ($how) set it first', async ({ manager }) => {
    const name = uniqueName('cm');
    await kubectlCreate(kube, configMap(ns, name, { a: '1', b: '2' }), 'configmaps', manager);
    const memo = new AppliedMemo();
    await sync(rendered(configMap(ns, name, { a: '1', b: '2' })), memo);
    await sync(rendered(configMap(ns, name, { a: '1' })), memo);
    expect(await dataOf(name)).toEqual({ a: '1' });
  });

  it('removes a field later dropped from git from an object that had no managedFields (before-first-apply)', async () => {
    const name = uniqueName('cm');
    const created = await kubectlCreate(kube, configMap(ns, name, { a: '1', b: '2' }), 'configmaps', 'kubectl-create');
    // As for an object created before server-side apply: kube-apiserver gives its fields to before-first-apply at the first apply.
    await kubectlJsonPatch(kube, created, 'configmaps', [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], 'reset');
    const memo = new AppliedMemo();
    await sync(rendered(configMap(ns, name, { a: '1', b: '2' })), memo);
    await sync(rendered(configMap(ns, name, { a: '1' })), memo);
    expect(await dataOf(name)).toEqual({ a: '1' });
  });

  it('takes over what kubectl edit changed on an object netfleet applies', async () => {
    const name = uniqueName('cm');
    const memo = new AppliedMemo();
    await sync(rendered(configMap(ns, name, { a: '1' })), memo);
    await kubectlPatch(kube, configMap(ns, name, {}), 'configmaps', { data: { b: '2' } }, 'kubectl-edit');
    await sync(rendered(configMap(ns, name, { a: '1', b: '2' })), memo);
    await sync(rendered(configMap(ns, name, { a: '1' })), memo);
    expect(await dataOf(name)).toEqual({ a: '1' });
  });

  it('leaves the fields of other Update managers (controllers) theirs', async () => {
    const name = uniqueName('cm');
    await kubectlCreate(kube, configMap(ns, name, { a: '1', b: '2' }), 'configmaps', 'cilium-operator');
    const memo = new AppliedMemo();
    await sync(rendered(configMap(ns, name, { a: '1', b: '2' })), memo);
    await sync(rendered(configMap(ns, name, { a: '1' })), memo);
    expect(await dataOf(name)).toEqual({ a: '1', b: '2' });
  });

  it('moves only the fields netfleet sets: the others stay with the tool that set them', async () => {
    const name = uniqueName('cm');
    const created = await kubectlCreate(kube, configMap(ns, name, { a: '1', extra: 'x' }), 'configmaps', 'kubectl-create');
    expect(created.metadata.managedFields).toHaveLength(1);
    await sync(rendered(configMap(ns, name, { a: '1' })), new AppliedMemo());
    const live = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name });
    const kubectl = (live!.metadata.managedFields as { manager: string; fieldsV1: unknown }[]).find((entry) => entry.manager === 'kubectl-create');
    expect(kubectl?.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:extra': {} } });
  });
});
