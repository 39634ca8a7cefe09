import { ReportKind, type ClusterDetail, type Credentials, type ReportBody } from '@netfleet/shared';
import { expect } from 'vitest';
import type { Hub } from '../../src/index.js';
import { RolloutController } from '../../src/rollout/controller.js';
import { RedisFleetView } from '../../src/rollout/fleet-view.js';
import { FleetHeads } from '../../src/rollout/heads.js';
import type { RolloutAlerts } from '../../src/rollout/alerts.js';
import type { RolloutMetrics } from '../../src/rollout/metrics.js';
import { RolloutStore } from '../../src/rollout/store.js';
import { TestSender, eventually, quietLogger, registerCluster, report, testHub, testKeySpace } from '../helpers.js';

/** What one agent reports after a sync: the sync, then a heartbeat. */
export interface AgentSync {
  sync: ReportBody<ReportKind.Sync>;
  heartbeat: ReportBody<ReportKind.Heartbeat>;
}

/**
 * A hub on a real Redis for rollout tests, with `clusters` registered. It runs no rollout
 * controller (nor sweeper) of its own: the tests drive theirs with `tick`.
 */
export interface RolloutHub {
  hub: Hub;
  store: RolloutStore;
  heads: FleetHeads;
  /** A controller on this hub's state, closed with it. */
  controller(options: { replicaId: string; leaseTtlMs?: number }, metrics?: RolloutMetrics, alerts?: RolloutAlerts): RolloutController;
  /**
   * Each agent of `clusters` reports what `reports` gives for it (told the cluster's detail
   * before), as a real agent after a sync; resolves once the hub applied every report.
   */
  agentsReport(clusters: readonly string[], reports: (cluster: string, before: ClusterDetail | undefined) => AgentSync): Promise<void>;
  close(): Promise<void>;
}

export async function rolloutHub(label: string, clusters: readonly { name: string; region: string }[]): Promise<RolloutHub> {
  const space = testKeySpace(label);
  const hub = testHub(space, { sweeper: false, rollouts: false });
  await hub.start();
  const sender = new TestSender(space);
  const store = new RolloutStore(hub.redis, hub.keys);
  const heads = new FleetHeads(hub.redis, hub.keys);
  const credentials = new Map<string, Credentials>();
  for (const { name, region } of clusters) credentials.set(name, await registerCluster(hub, name, region));
  const seqs = new Map<string, number>();
  const nextSeq = (cluster: string) => {
    const seq = (seqs.get(cluster) ?? 0) + 1;
    seqs.set(cluster, seq);
    return seq;
  };
  const controllers: RolloutController[] = [];
  return {
    hub,
    store,
    heads,
    controller(options, metrics, alerts) {
      const fleet = new RedisFleetView(hub.fleet, hub.alerts, hub.linkHealth.links);
      const created = new RolloutController(hub.scripts, store, fleet, heads, options, quietLogger(), metrics, alerts);
      controllers.push(created);
      return created;
    },
    async agentsReport(names, reports) {
      const before = new Map<string, number>();
      for (const cluster of names) {
        const detail = await hub.fleet.detail(cluster);
        before.set(cluster, detail?.reports ?? 0);
        const { sync, heartbeat } = reports(cluster, detail);
        await sender.send(credentials.get(cluster)!, report(cluster, nextSeq(cluster), ReportKind.Sync, sync));
        await sender.send(credentials.get(cluster)!, report(cluster, nextSeq(cluster), ReportKind.Heartbeat, heartbeat));
      }
      await eventually(async () => {
        for (const cluster of names) expect((await hub.fleet.detail(cluster))?.reports).toBe(before.get(cluster)! + 2);
      });
    },
    async close() {
      await Promise.all(controllers.map((created) => created.close()));
      await sender.close();
      await hub.close();
      await space.cleanup();
    },
  };
}
