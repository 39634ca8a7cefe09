import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, startCluster } from './harness.js';
import { daemonFor, startFleetRepo, type FleetRepo } from './fleet.js';
import type { AgentDaemon } from '../src/daemon/daemon.js';
import { pathOf } from '../src/ssa/apply.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let daemon: AgentDaemon;
let cutter: NodeJS.Timeout;

const internalIngress = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'internal' };

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  daemon = await daemonFor(kube, await fleet.source(), { interval: 1, retryInterval: 1, resyncInterval: 2 });
  // 10% of requests fail with each of 500, 429 (Retry-After 1 s) and 409, and watches are
  // cut every 300 ms, from before the first sync to the end.
  kube.faults.set({ status: 500, rate: 0.1 });
  kube.faults.set({ verbs: ['get', 'list', 'patch', 'delete'], status: 429, rate: 0.1, retryAfterSeconds: 1 });
  kube.faults.set({ verbs: ['patch', 'delete'], status: 409, rate: 0.1 });
  cutter = setInterval(() => kube.faults.cutWatches(), 300);
  await daemon.start();
}, 60_000);
afterAll(async () => {
  clearInterval(cutter);
  await daemon?.stop();
  await kube?.stop();
  await fleet?.dispose();
});

describe('when the API server fails 10% of requests with 500, 429 and 409 and cuts watches', () => {
  it('converges: the sync succeeds and every object is applied', async () => {
    await eventually(() => expect(daemon.lastResult?.reason).toBe(SyncReason.Succeeded), { intervalMs: 200 });
    const desired = daemon.reconciler.desired!.objects;
    expect(desired.length).toBeGreaterThan(20);
    const live = await Promise.all(desired.map(({ object }) => daemon.client.get(pathOf(object))));
    expect(live.filter((object) => object === undefined)).toEqual([]);
    expect(kube.audit.filter((entry) => entry.status === 500 || entry.status === 429 || entry.status === 409).length).toBeGreaterThan(0);
  });

  it('still detects and corrects drift', async () => {
    // The faults hit this writer too; its client retries like the agent's.
    await clientFor(kube, 'kubectl').apply({ apiVersion: internalIngress.apiVersion, kind: internalIngress.kind, metadata: { name: 'internal' }, spec: { inlet: 'HostPort', hostPort: { httpPort: 9191, httpsPort: 8443 } } }, { force: true });
    await eventually(async () => {
      const live = await daemon.client.get(internalIngress);
      expect((live!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080);
    }, { intervalMs: 200 });
  });

  it('rides out the API server going away and catches up when it is back', async () => {
    await kube.faults.down(true);
    // Down long enough for watches to fail and relists to back off a few times.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await kube.faults.down(false);
    await clientFor(kube, 'kubectl').apply({ apiVersion: internalIngress.apiVersion, kind: internalIngress.kind, metadata: { name: 'internal' }, spec: { inlet: 'HostPort', hostPort: { httpPort: 9393, httpsPort: 8443 } } }, { force: true });
    await eventually(async () => {
      const live = await daemon.client.get(internalIngress);
      expect((live!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080);
    }, { intervalMs: 200 });
  });
});

