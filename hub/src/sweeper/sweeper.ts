import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger } from '@netfleet/shared';
import type { HubScripts } from '../redis/scripts.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, condition, type ClusterLabels } from '../alerts/rules.js';
import { LeaderLoop } from './leader-loop.js';
import { publishLiveChange } from '../live/live-feed.js';

export interface SweeperOptions {
  /** A cluster whose last report is older than this is offline (two heartbeat intervals). */
  offlineAfterMs: number;
  intervalMs: number;
  leaseTtlMs: number;
  replicaId: string;
  /** Clusters taken from the stale end of last-seen per script call (a pass makes as many calls as it needs). */
  batchSize?: number;
  /** How often the alert repeat pass runs (it reads every firing alert). */
  repeatPassIntervalMs: number;
  /**
   * After Redis comes back from an outage, no cluster is marked offline for this long (one
   * heartbeat interval): the agents need that long to report again, and their reports were
   * held back by the outage, not missed.
   */
  graceAfterRedisMs: number;
}

/** What the sweeper did in one tick; for logs and tests. */
export interface SweepResult {
  leader: boolean;
  offline: string[];
}

/**
 * Periodic fleet housekeeping run by one replica at a time (the holder of the `sweeper`
 * lease): marks silent clusters offline and raises their alerts, and runs the alert repeat
 * pass. Errors (Redis away) are logged and the next tick tries again.
 */
export class Sweeper extends LeaderLoop<SweepResult> {
  /** Ticks that ran as leader; tests compare replicas with it. */
  leaderTicks = 0;
  private lastRepeatPass = 0;
  /** When the connection last came back after it was lost; undefined until it is lost once. */
  private redisBackAt: number | undefined;
  private redisLost = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: HubScripts,
    private readonly alerts: AlertEngine,
    private readonly options: SweeperOptions,
    private readonly logger: Logger,
  ) {
    // A tick every interval, however long the last took (the alert repeat pass reads every
    // firing alert): a silent cluster is marked offline within two heartbeats and one interval.
    super(scripts, 'sweeper', { ...options, fixedRate: true }, logger);
    redis.on('close', () => {
      this.redisLost = true;
    });
    redis.on('ready', () => {
      if (!this.redisLost) return;
      this.redisLost = false;
      this.redisBackAt = Date.now();
      this.logger.info({ graceMs: options.graceAfterRedisMs }, 'redis is back: no cluster is marked offline during the grace period');
    });
  }

  /** True while Redis is away or came back less than the grace period before `now`. */
  private inGrace(now: number): boolean {
    return this.redisLost || (this.redisBackAt !== undefined && now < this.redisBackAt + this.options.graceAfterRedisMs);
  }

  async tick(now = Date.now()): Promise<SweepResult> {
    if (!(await this.lead())) return { leader: false, offline: [] };
    this.leaderTicks += 1;
    const offline = this.inGrace(now) ? [] : await this.markSilentOffline(now);
    if (now - this.lastRepeatPass >= this.options.repeatPassIntervalMs) {
      await this.alerts.repeatPass(now);
      this.lastRepeatPass = now;
    }
    return { leader: true, offline };
  }

  /**
   * Marks every cluster silent for two heartbeat intervals offline, one bounded batch per
   * script call until none is left, raising each batch's alerts before the next: a pass that
   * finds tens of thousands at once marks them all in this tick, the newest stale too. Stops
   * between batches when the lease was lost, as another replica sweeps then.
   */
  private async markSilentOffline(now: number): Promise<string[]> {
    const batchSize = this.options.batchSize ?? 500;
    const offline: string[] = [];
    for (;;) {
      const batch = await this.scripts.sweepOffline(now - this.options.offlineAfterMs, now, batchSize);
      await this.raiseOffline(batch.offline, now);
      offline.push(...batch.offline.map((cluster) => cluster.cluster));
      if (batch.taken < batchSize || !(await this.lead())) return offline;
    }
  }

  /** The offline alerts of clusters just marked offline, in one round trip, and one live notice naming them all. */
  private async raiseOffline(clusters: readonly ClusterLabels[], now: number): Promise<void> {
    if (clusters.length === 0) return;
    for (const { cluster, region } of clusters) this.logger.warn({ cluster, region }, 'cluster offline: missed 2 heartbeats');
    await this.alerts.apply(clusters.map((cluster) => ({
      fire: condition(AlertRule.ClusterOffline, cluster, `cluster ${cluster.cluster} missed 2 heartbeats`),
    })), now);
    await publishLiveChange(this.redis, this.scripts.keys.liveChannel(), ...clusters.map(({ cluster }) => `cluster:${cluster}` as const));
  }
}
