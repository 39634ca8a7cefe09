import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, PRUNE_ANNOTATION, SyncReason } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, startCluster } from './harness.js';
import { AGENT_NAMESPACE, CLUSTER, reconcilerFor, startFleetRepo, type FleetRepo } from './fleet.js';
import type { Reconciler } from '../src/reconcile/reconcile.js';
import type { SyncResult } from '../src/reconcile/result.js';
import type { KubeClient } from '../src/kube/client.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let reconciler: Reconciler;
let client: KubeClient;
let first: SyncResult;

const count = (result: SyncResult, action: Action) => result.changeSet.filter((entry) => entry.action === action).length;
const ingress = (name: string) => client.get({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name });

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  ({ reconciler, client } = await reconcilerFor(kube, await fleet.source()));
  first = await reconciler.reconcile();
}, 60_000);
afterAll(async () => {
  await kube?.stop();
  await fleet?.dispose();
});

describe('when the agent syncs the example fleet for the first time', () => {
  it('applies every object rendered for the cluster and records them in the inventory', async () => {
    expect(first.message).toBeUndefined();
    expect(first.reason).toBe(SyncReason.Succeeded);
    expect(first.changeSet.length).toBeGreaterThan(20);
    expect(first.changeSet.every((entry) => entry.action === Action.Created)).toBe(true);
    expect(first.appliedRevision).toBe(await fleet.tree.resolve('HEAD'));
    const stored = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: AGENT_NAMESPACE, name: 'netfleet-inventory' });
    const entries = ((stored!.data as Record<string, string>).entries ?? '').split('\n');
    expect(entries).toHaveLength(first.changeSet.length);
    expect(entries).toContain('deckhouse.io_IngressNginxController__public deckhouse.io/v1');
    expect((stored!.data as Record<string, string>).cluster).toBe(CLUSTER);
  });
});

describe('when a commit changes one field', () => {
  it('configures that one object and leaves the others untouched', async () => {
    await fleet.tree.write({ 'network/ingress.yaml': (await readIngress()).replace('proxy-body-size: 16m', 'proxy-body-size: 32m') });
    const revision = await fleet.publish('raise the body size limit');
    kube.audit.clear();
    const result = await reconciler.reconcile();
    expect(result.reason).toBe(SyncReason.Succeeded);
    expect(result.appliedRevision).toBe(revision);
    const changed = result.changeSet.filter((entry) => entry.action !== Action.Unchanged);
    expect(changed).toEqual([{ subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: 'public' }, action: Action.Configured }]);
    expect(((await ingress('public'))!.spec as { config: Record<string, string> }).config['proxy-body-size']).toBe('32m');
    const writes = kube.audit.filter((entry) => entry.verb === 'patch' && !entry.dryRun && entry.resource !== 'configmaps');
    expect(writes.map((entry) => entry.name)).toEqual(['public']);
  });
});

describe('when a document leaves the repository', () => {
  it('prunes its objects and keeps one annotated against pruning', async () => {
    // Someone protects one of the egress policies in the cluster before the commit lands.
    await clientFor(kube, 'ops').apply({
      apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGatewayPolicy',
      metadata: { name: 'partners-payments', annotations: { [PRUNE_ANNOTATION]: 'disabled' } },
    }, { force: false });
    await fleet.tree.remove('network/egress.yaml');
    await fleet.publish('retire the partners egress');
    const result = await reconciler.reconcile();
    expect(result.reason).toBe(SyncReason.Succeeded);
    const byName = new Map(result.changeSet.map((entry) => [entry.subject.name, entry]));
    expect(byName.get('partners')?.action).toBe(Action.Deleted);
    expect(byName.get('partners-shop-suppliers')?.action).toBe(Action.Deleted);
    expect(byName.get('partners-payments')).toMatchObject({ action: Action.Skipped, message: expect.stringContaining(PRUNE_ANNOTATION) });
    expect(await client.get({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', name: 'partners' })).toBeUndefined();
    expect(await client.get({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGatewayPolicy', name: 'partners-payments' })).toBeDefined();
  });
});

describe('when a commit would delete most of the inventory', () => {
  it('refuses the whole sync, deleting and applying nothing, until the limit is overridden', async () => {
    const before = await reconciler.reconcile();
    await fleet.tree.remove('network', 'mesh', 'platform/cni.yaml', 'platform/dns.yaml');
    const revision = await fleet.publish('oops: removed most of the network');
    kube.audit.clear();
    const refused = await reconciler.reconcile();
    expect(refused.reason).toBe(SyncReason.PruneLimitExceeded);
    expect(refused.message).toMatch(/refusing to delete \d+ of \d+ managed objects/);
    expect(refused.appliedRevision).toBe(before.appliedRevision);
    expect(kube.audit.filter((entry) => (entry.verb === 'delete' || entry.verb === 'patch') && !entry.dryRun)).toEqual([]);
    expect(await ingress('public')).toBeDefined();

    const forced = await reconciler.reconcile({ overridePruneLimit: true });
    expect(forced.reason).toBe(SyncReason.Succeeded);
    expect(forced.appliedRevision).toBe(revision);
    expect(count(forced, Action.Deleted)).toBeGreaterThan(5);
    expect(await ingress('public')).toBeUndefined();
  });
});

function readIngress(): Promise<string> {
  return readFile(join(fleet.tree.dir, 'network', 'ingress.yaml'), 'utf8');
}
