import { AlertSeverity, ClusterState, type SyncReason, type SyncStatus } from '@netfleet/shared';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, severityOf } from '../alerts/rules.js';
import type { LinkFailure } from '../links/link-failures.js';
import type { FleetState } from '../state/fleet-state.js';
import type { PlanCluster } from './plan.js';

/** What the rollout controller reads of one cluster, from the hub's fleet state. */
export interface ClusterObservation {
  name: string;
  /** False once the cluster missed two heartbeats. */
  online: boolean;
  /** The revision the agent last reported applied ('' before its first sync). */
  appliedRevision: string;
  /** The agent's last sync, if any; its status follows the protocol's sync-status contract. */
  sync: { revision: string; status: SyncStatus; reason: SyncReason; error: string; at: number } | null;
  /** Every object the agent applied reports ready. */
  ready: boolean;
  /** Drift items reported against `appliedRevision`. */
  driftCount: number;
  /** Failing federation/multicluster links of the cluster and of its peers towards it. */
  linkFailures: LinkFailure[];
  /** Firing critical alerts about the cluster, offline alerts aside (offline is its own hold). */
  criticalAlerts: number;
}

/** The controller's read access to the fleet. */
export interface FleetView {
  /** Every registered cluster with the fields wave selectors match on. */
  clusters(): Promise<PlanCluster[]>;
  observe(names: readonly string[]): Promise<Map<string, ClusterObservation>>;
}

const PAGE = 500;

/** The rules whose firing alerts can hold a cluster: the critical ones, offline aside (offline is its own hold). */
const HOLDING_RULES = Object.values(AlertRule).filter((rule) => severityOf(rule) === AlertSeverity.Critical && rule !== AlertRule.ClusterOffline);

/** Where the failing links touching a cluster are read (the replica's link health). */
export interface LinkFailureSource {
  linkFailures(cluster: string): LinkFailure[];
}

/** The fleet as the hub's Redis state (FleetState), alert engine and link health hold it. */
export class RedisFleetView implements FleetView {
  constructor(private readonly fleet: FleetState, private readonly alerts: AlertEngine, private readonly links: LinkFailureSource) {}

  async clusters(): Promise<PlanCluster[]> {
    const clusters: PlanCluster[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.fleet.list({ limit: PAGE, cursor });
      for (const item of page.items) {
        if (item.state !== ClusterState.Revoked) clusters.push({ name: item.name, region: item.region, labels: item.labels });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return clusters;
  }

  async observe(names: readonly string[]): Promise<Map<string, ClusterObservation>> {
    // Both reads at once: a tick's round trips are its latency on a busy Redis.
    const [firing, facts] = await Promise.all([this.alerts.firing(HOLDING_RULES), this.fleet.rolloutFacts(names)]);
    const critical = new Map<string, number>();
    for (const alert of firing) {
      const cluster = alert.labels.cluster;
      if (!cluster) continue;
      critical.set(cluster, (critical.get(cluster) ?? 0) + 1);
    }
    const observations = new Map<string, ClusterObservation>();
    for (const [name, cluster] of facts) {
      const readiness = cluster.readiness;
      observations.set(name, {
        name,
        online: cluster.state === ClusterState.Online,
        appliedRevision: cluster.revision,
        sync: cluster.sync,
        ready: readiness !== null && readiness.notReady === 0 && readiness.waiting === 0,
        driftCount: cluster.driftCount,
        linkFailures: this.links.linkFailures(name),
        criticalAlerts: critical.get(name) ?? 0,
      });
    }
    return observations;
  }
}
