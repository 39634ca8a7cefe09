import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, namespace, startCluster, uniqueName } from '../../test/harness.js';
import type { KubeClient } from '../kube/client.js';
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
