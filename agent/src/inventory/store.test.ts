import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, namespace, startCluster, uniqueName } from '../../test/harness.js';
import { KubeClient } from '../kube/client.js';
import { Inventory } from './inventory.js';
import { InventoryStore } from './store.js';

let kube: KubeApiServer;
let client: KubeClient;

beforeAll(async () => {
  kube = await startCluster({ crds: () => false });
  client = clientFor(kube);
});
afterAll(() => kube.stop());

describe('InventoryStore', () => {
  it('starts empty when no inventory was ever written', async () => {
    const ns = uniqueName('empty');
    await client.apply(namespace(ns), { force: false });
    expect(await new InventoryStore(client, { namespace: ns, cluster: 'c1' }).load()).toEqual({ inventory: new Inventory(), revision: '' });
  });

  it('reads back what a previous agent saved', async () => {
    const ns = uniqueName('saved');
    await client.apply(namespace(ns), { force: false });
    const inventory = new Inventory([['_ConfigMap_a_b', 'v1'], ['deckhouse.io_ModuleConfig__istio', 'deckhouse.io/v1alpha1']]);
    await new InventoryStore(client, { namespace: ns, cluster: 'c1' }).save({ inventory, revision: 'abc' });
    const loaded = await new InventoryStore(clientFor(kube), { namespace: ns, cluster: 'c1' }).load();
    expect(loaded.revision).toBe('abc');
    expect(loaded.inventory.entries()).toEqual(inventory.entries());
  });

  it('refuses a ConfigMap someone broke, naming it', async () => {
    const ns = uniqueName('broken');
    await client.apply(namespace(ns), { force: false });
    await client.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'netfleet-inventory', namespace: ns }, data: { entries: 'garbage' } }, { force: false });
    await expect(new InventoryStore(client, { namespace: ns, cluster: 'c1' }).load()).rejects.toMatchObject({
      code: 'AGENT_INVENTORY', message: expect.stringContaining(`${ns}/netfleet-inventory is malformed`),
    });
  });
});

describe('InventoryStore on a cluster without the agent\'s namespace', () => {
  it('creates the namespace on the first load, before anything is applied, and saves into it', async () => {
    const ns = uniqueName('fresh');
    const store = new InventoryStore(client, { namespace: ns, cluster: 'c1' });
    expect(await store.load()).toEqual({ inventory: new Inventory(), revision: '' });
    expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toMatchObject({ metadata: { name: ns } });
    await store.save({ inventory: new Inventory([['_ConfigMap_a_b', 'v1']]), revision: 'abc' });
    expect((await new InventoryStore(client, { namespace: ns, cluster: 'c1' }).load()).revision).toBe('abc');
  });

  it('creates the namespace again when it was deleted between load and save', async () => {
    const ns = uniqueName('deleted');
    const store = new InventoryStore(client, { namespace: ns, cluster: 'c1' });
    await store.load();
    await client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    // The namespace controller removes it shortly after the delete.
    await eventually(async () => expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeUndefined());
    await store.save({ inventory: new Inventory([['_ConfigMap_a_b', 'v1']]), revision: 'def' });
    expect((await new InventoryStore(client, { namespace: ns, cluster: 'c1' }).load()).revision).toBe('def');
  });

  it('names the namespace and what to do when the agent may not create it', async () => {
    const limited = await startKubeApiServer({ tokens: { agent: ['get configmaps', 'patch configmaps', 'get namespaces'] } });
    try {
      const store = new InventoryStore(new KubeClient({ kubeConfig: limited.kubeConfig() }), { namespace: 'netfleet-system', cluster: 'c1' });
      await expect(store.load()).rejects.toMatchObject({
        code: 'AGENT_NAMESPACE_MISSING',
        message: 'the agent\'s namespace netfleet-system does not exist and could not be created: namespaces "netfleet-system" is forbidden: User "agent" cannot patch resource "namespaces" in API group "" at the cluster scope',
        hint: 'create it (kubectl create namespace netfleet-system), allow the agent to create namespaces, or pass --namespace with an existing one',
      });
    } finally {
      await limited.stop();
    }
  });
});
