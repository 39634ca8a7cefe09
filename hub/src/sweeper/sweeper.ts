import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger } from '@netfleet/shared';
import type { HubScripts } from '../redis/scripts.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, condition } from '../alerts/rules.js';
import { LeaderLoop } from './leader-loop.js';

export interface SweeperOptions {
  /** A cluster whose last report is older than this is offline (two heartbeat intervals). */
  offlineAfterMs: number;
  intervalMs: number;
  leaseTtlMs: number;
  replicaId: string;
  /** Clusters marked offline per script call. */
  batchSize?: number;
  /** How often the alert repeat pass runs (it reads every firing alert). */
  repeatPassIntervalMs: number;
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

  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: HubScripts,
    private readonly alerts: AlertEngine,
    private readonly options: SweeperOptions,
    private readonly logger: Logger,
  ) {
    super(scripts, 'sweeper', options, logger);
  }

  async tick(now = Date.now()): Promise<SweepResult> {
    if (!(await this.lead())) return { leader: false, offline: [] };
    this.leaderTicks += 1;
    const offline: string[] = [];
    for (;;) {
      const batch = await this.scripts.sweepOffline(now - this.options.offlineAfterMs, now, this.options.batchSize ?? 500);
      offline.push(...batch);
      if (batch.length < (this.options.batchSize ?? 500)) break;
    }
    for (const cluster of offline) {
      const [region, revision] = await this.redis.hmget(this.scripts.keys.cluster(cluster), 'region', 'revision');
      this.logger.warn({ cluster, region }, 'cluster offline: missed 2 heartbeats');
      await this.alerts.fire(condition(AlertRule.ClusterOffline, { cluster, region: region ?? '', revision: revision ?? '' },
        `cluster ${cluster} missed 2 heartbeats`), now);
    }
    if (now - this.lastRepeatPass >= this.options.repeatPassIntervalMs) {
      await this.alerts.repeatPass(now);
      this.lastRepeatPass = now;
    }
    return { leader: true, offline };
  }
}
