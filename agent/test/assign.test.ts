import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { eventually, startCluster } from './harness.js';
import { daemonFor, startFleetRepo, type FleetRepo } from './fleet.js';
import type { AgentDaemon } from '../src/daemon/daemon.js';
import type { SyncResult } from '../src/reconcile/result.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let daemon: AgentDaemon;
let first: string;
let second: string;
const results: SyncResult[] = [];

const bodySize = async () => ((await daemon.client.get({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' }))!.spec as { config: Record<string, string> }).config['proxy-body-size'];

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  first = await fleet.tree.resolve('HEAD');
  const file = join(fleet.tree.dir, 'network', 'ingress.yaml');
  await fleet.tree.write({ 'network/ingress.yaml': (await readFile(file, 'utf8')).replace('proxy-body-size: 16m', 'proxy-body-size: 48m') });
  second = await fleet.publish('bigger bodies');
  // Polls hourly: every sync after the first comes from an assignment.
  daemon = await daemonFor(kube, await fleet.source(), { interval: 3600 });
  daemon.events.on('synced', (result) => results.push(result));
  await daemon.start();
  await eventually(() => expect(results.map((result) => result.revision)).toEqual([second]));
}, 60_000);
afterAll(async () => {
  await daemon?.stop();
  await kube?.stop();
  await fleet?.dispose();
});

describe('when the hub assigns a revision', () => {
  it('applies an older revision at once (a rollback) instead of the branch head', async () => {
    daemon.assign(first);
    await eventually(() => expect(daemon.lastResult?.revision).toBe(first));
    expect(daemon.lastResult!.reason).toBe(SyncReason.Succeeded);
    expect(await bodySize()).toBe('16m');
  });

  it('syncs the same revision again when asked to retry', async () => {
    const before = results.length;
    daemon.assign(first, { again: true });
    await eventually(() => expect(results.length).toBe(before + 1));
    expect(results.at(-1)!.revision).toBe(first);
  });

  it('follows the branch head again when the assignment is lifted', async () => {
    daemon.assign(undefined);
    await eventually(() => expect(daemon.lastResult?.revision).toBe(second));
    expect(await bodySize()).toBe('48m');
  });
});
