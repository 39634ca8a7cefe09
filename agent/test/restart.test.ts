import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, SyncReason } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, startCluster } from './harness.js';
import { daemonFor, startFleetRepo, type FleetRepo } from './fleet.js';
import type { AgentDaemon } from '../src/daemon/daemon.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let cacheDir: string;
let restarted: AgentDaemon | undefined;

const internalIngress = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'internal' };

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-restart-'));
  const before = await daemonFor(kube, await fleet.source({ cacheDir }), { interval: 3600 });
  const first = await before.sync();
  expect(first.reason).toBe(SyncReason.Succeeded);
  await before.stop();
}, 60_000);
afterAll(async () => {
  await restarted?.stop();
  await kube?.stop();
  await fleet?.dispose();
});

describe('when the agent restarts', () => {
  it('re-creates, configures and prunes nothing, reading its inventory back from the cluster', async () => {
    restarted = await daemonFor(kube, await fleet.source({ cacheDir }), { interval: 3600 }, { client: clientFor(kube) });
    kube.audit.clear();
    const result = await restarted.sync();
    expect(result.reason).toBe(SyncReason.Succeeded);
    expect(result.changeSet.filter((entry) => entry.action !== Action.Unchanged)).toEqual([]);
    const writes = kube.audit.filter((entry) => !entry.dryRun && ['create', 'update', 'patch', 'delete'].includes(entry.verb));
    expect(writes.map((entry) => `${entry.resource}/${entry.name}`)).toEqual([]);
  });

  it('resumes drift detection', async () => {
    await restarted!.start();
    await clientFor(kube, 'kubectl').apply({ apiVersion: internalIngress.apiVersion, kind: internalIngress.kind, metadata: { name: 'internal' }, spec: { inlet: 'HostPort', hostPort: { httpPort: 9292, httpsPort: 8443 } } }, { force: true });
    await eventually(async () => {
      const live = await restarted!.client.get(internalIngress);
      expect((live!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080);
    });
  });
});
