import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Queue } from 'bullmq';
import type { Alert, AlertSeverity, Logger } from '@netfleet/shared';
import { AlertCode, type HubScripts } from '../redis/scripts.js';
import { AlertRule, type AlertCondition } from './rules.js';
import { execAll } from '../redis/pipeline.js';

/** An alert condition that starts or keeps holding, or the fingerprint of one that ended. */
export type AlertChange = { fire: AlertCondition } | { resolve: string };

/** The fields the update-alert script stores for a firing alert. */
const alertFields = (alert: AlertCondition) => JSON.stringify({ rule: alert.rule, severity: alert.severity, summary: alert.summary, labels: alert.labels });

/** Firing alerts read and updated per round trip by the repeat pass. */
const REPEAT_PASS_PAGE = 500;

/** One delivery job: an alert snapshot for one sink. */
export interface DeliveryJob {
  sink: string;
  alert: Alert;
  /** The notification's id for its receiver, kept through retries (absent in jobs of earlier hubs). */
  id?: string;
}

export interface AlertEngineOptions {
  repeatIntervalMs: number;
  rejectedResolveMs: number;
  sinkNames: string[];
  deliveryAttempts: number;
  deliveryBackoffMs: number;
}

/**
 * Fires and resolves alerts. Deduplication lives in the update-alert script: a condition
 * that keeps firing is notified once, then again only after the repeat interval; resolving
 * notifies once. Each notification becomes one delivery job per sink.
 */
export class AlertEngine {
  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: HubScripts,
    private readonly deliveries: Queue<DeliveryJob>,
    private readonly options: AlertEngineOptions,
    private readonly logger: Logger,
  ) {}

  async fire(alert: AlertCondition, now = Date.now()): Promise<AlertCode> {
    const code = await this.scripts.updateAlert(alert.fingerprint, 'fire', now, this.options.repeatIntervalMs, alertFields(alert));
    if (code !== AlertCode.Unchanged) await this.notify(alert.fingerprint, code);
    return code;
  }

  async resolve(fingerprint: string, now = Date.now()): Promise<AlertCode> {
    const code = await this.scripts.updateAlert(fingerprint, 'resolve', now, this.options.repeatIntervalMs);
    if (code === AlertCode.Resolved) await this.notify(fingerprint, code);
    return code;
  }

  /** Fires and resolves several alerts, in order, in one round trip (then notifies as `fire` and `resolve` do). */
  async apply(changes: readonly AlertChange[], now = Date.now()): Promise<void> {
    if (changes.length === 0) return;
    const updated = await this.scripts.updateAlerts(changes.map((change) => 'fire' in change
      ? [change.fire.fingerprint, 'fire', now, this.options.repeatIntervalMs, alertFields(change.fire)] as const
      : [change.resolve, 'resolve', now, this.options.repeatIntervalMs] as const));
    await this.deliver(updated.flatMap(({ code, hash }, index) => {
      const notable = 'fire' in changes[index]! ? code !== AlertCode.Unchanged : code === AlertCode.Resolved;
      return notable && hash.fingerprint ? [{ alert: toAlert(hash), code }] : [];
    }));
  }

  /**
   * Run by the leader: repeats firing alerts whose repeat interval passed, and resolves
   * `report rejected` alerts that no rejection renewed for a while. Reads and updates a page
   * of firing alerts per round trip, so a pass over a whole fleet's alerts stays short.
   */
  async repeatPass(now = Date.now()): Promise<void> {
    const firing = await this.redis.smembers(this.scripts.keys.firingAlerts());
    for (let start = 0; start < firing.length; start += REPEAT_PASS_PAGE) {
      const fingerprints = firing.slice(start, start + REPEAT_PASS_PAGE);
      const read = this.redis.pipeline();
      for (const fingerprint of fingerprints) read.hmget(this.scripts.keys.alert(fingerprint), 'rule', 'lastFiredAt');
      const alerts = (await execAll(read)) as Array<[string | null, string | null]>;
      const updated = await this.scripts.updateAlerts(fingerprints.map((fingerprint, index) => {
        const [rule, lastFiredAt] = alerts[index]!;
        const expired = rule === AlertRule.ReportRejected && now - Number(lastFiredAt) >= this.options.rejectedResolveMs;
        return [fingerprint, expired ? 'resolve' : 'repeat', now, this.options.repeatIntervalMs] as const;
      }));
      await this.deliver(updated.flatMap(({ code, hash }) =>
        code !== AlertCode.Unchanged && hash.fingerprint ? [{ alert: toAlert(hash), code }] : []));
    }
  }

  async get(fingerprint: string): Promise<Alert | undefined> {
    const hash = await this.redis.hgetall(this.scripts.keys.alert(fingerprint));
    return hash.fingerprint ? toAlert(hash) : undefined;
  }

  /** Alerts newest first, optionally only firing or resolved ones, or one cluster's. */
  async list(filter: { status?: 'firing' | 'resolved'; cluster?: string; limit?: number } = {}): Promise<Alert[]> {
    const fingerprints = await this.redis.zrevrange(this.scripts.keys.alerts(), 0, -1);
    const pipeline = this.redis.pipeline();
    for (const fingerprint of fingerprints) pipeline.hgetall(this.scripts.keys.alert(fingerprint));
    const alerts = (await execAll(pipeline))
      .map((hash) => hash as Record<string, string>)
      .filter((hash) => hash.fingerprint)
      .map(toAlert)
      .filter((alert) => (!filter.status || alert.status === filter.status) && (!filter.cluster || alert.labels.cluster === filter.cluster));
    return alerts.slice(0, filter.limit ?? 500);
  }

  /** The fingerprints in the firing sets of `rules` (read from the rule sets alone, not every firing alert). */
  async firingFingerprints(rules: readonly AlertRule[]): Promise<string[]> {
    const sets = this.redis.pipeline();
    for (const rule of rules) sets.smembers(this.scripts.keys.firingAlertsOf(rule));
    return ((await execAll(sets)) as string[][]).flat();
  }

  /**
   * The firing alerts of the given rules, read from their rules' firing sets: what a reader
   * needs of a few rules costs their firing alerts, not every alert kept.
   */
  async firing(rules: readonly AlertRule[]): Promise<Alert[]> {
    const fingerprints = await this.firingFingerprints(rules);
    if (fingerprints.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const fingerprint of fingerprints) pipeline.hgetall(this.scripts.keys.alert(fingerprint));
    // A hub before the rule sets resolves without leaving them: what is no longer firing is skipped.
    return ((await execAll(pipeline)) as Record<string, string>[])
      .filter((hash) => hash.fingerprint && hash.status === 'firing')
      .map(toAlert);
  }

  private async notify(fingerprint: string, code: AlertCode): Promise<void> {
    if (this.options.sinkNames.length === 0) return;
    const alert = await this.get(fingerprint);
    if (alert) await this.deliver([{ alert, code }]);
  }

  /** One delivery job per sink for each snapshot of an alert, in order, in one write. */
  private async deliver(notices: ReadonlyArray<{ alert: Alert; code: AlertCode }>): Promise<void> {
    if (this.options.sinkNames.length === 0 || notices.length === 0) return;
    for (const { alert, code } of notices) {
      this.logger.info({ alert: alert.fingerprint, status: alert.status, repeat: code === AlertCode.Repeated, cluster: alert.labels.cluster }, 'alert notification');
    }
    await this.deliveries.addBulk(notices.flatMap(({ alert }) => this.options.sinkNames.map((sink) => ({
      name: `${sink}:${alert.status}`,
      data: { sink, alert, id: randomUUID() },
      opts: {
        attempts: this.options.deliveryAttempts,
        backoff: { type: 'exponential', delay: this.options.deliveryBackoffMs },
        removeOnComplete: { count: 1000 },
        removeOnFail: { count: 1000 },
      },
    }))));
  }
}

function iso(ms: string | undefined): string | null {
  return ms ? new Date(Number(ms)).toISOString() : null;
}

function toAlert(hash: Record<string, string>): Alert {
  return {
    fingerprint: hash.fingerprint!,
    rule: hash.rule!,
    status: hash.status === 'firing' ? 'firing' : 'resolved',
    severity: hash.severity as AlertSeverity,
    summary: hash.summary ?? '',
    labels: JSON.parse(hash.labels ?? '{}') as Record<string, string>,
    startsAt: iso(hash.startsAt)!,
    endsAt: iso(hash.endsAt),
  };
}
