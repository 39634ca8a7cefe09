import {
  CLUSTER_NAME_PATTERN, ReportKind, clusterOfJobId, decodeReportText, isFailedStatus, verifyReportSignature, type Logger, type Report,
} from '@netfleet/shared';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubMetrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { IngestCode, type HubScripts, type IngestOutcome } from '../redis/scripts.js';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, alertFingerprint, condition } from '../alerts/rules.js';
import { reportEffects } from './report-effects.js';
import { publishLiveChange } from '../live/live-feed.js';

/** Why a report was refused; also the `result` label of the reports metric. */
export enum RejectReason {
  Oversized = 'oversized',
  Malformed = 'malformed',
  CrossCluster = 'cross_cluster',
  UnknownCluster = 'unknown_cluster',
  Revoked = 'revoked',
  Signature = 'signature',
  Replay = 'replay',
  /** The seq is further above the cluster's highest than `maxSeqJump`. */
  SeqJump = 'seq_jump',
  /** The report's time is outside the clock-skew window around the hub's clock. */
  ClockSkew = 'clock_skew',
}

export type IngestResult =
  | { result: 'applied'; outcome: IngestOutcome }
  /** Already applied (a resend): nothing changes. */
  | { result: 'duplicate' }
  /** `problem` says what was wrong with a malformed report (the field and what was expected). */
  | { result: 'rejected'; reason: RejectReason; problem?: string };

export interface IngestOptions {
  maxReportBytes: number;
  /** Reports dated further ahead of the hub's clock are refused. */
  maxClockSkewMs: number;
  /** Reports dated further back are refused. */
  maxReportAgeMs: number;
}

/** Clusters whose key generation is cached; beyond it the cache starts over. */
const GENERATION_CACHE_SIZE = 100_000;

/**
 * Verifies and applies one report: size, nesting and schema, the job id's cluster (the
 * authenticated sender), the time within the clock-skew window, registration and
 * revocation, signature, then the Lua script that checks the seq window and writes state
 * atomically (stamped with the hub's receive time). Rejections are counted, logged without
 * the body, and raise an alert labelled with the sender.
 */
export class ReportIngest {
  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: HubScripts,
    private readonly registry: Registry,
    private readonly alerts: AlertEngine,
    private readonly metrics: HubMetrics,
    private readonly options: IngestOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * Key generation per cluster, so verifying a report costs no Redis round trip. The ingest
   * script checks the generation and revocation atomically; a stale entry (rotation) makes
   * it answer KeyGenerationChanged, and the report is verified again with a fresh read.
   */
  private readonly generations = new Map<string, number>();

  /**
   * Ingests one job of the report queue.
   * @param text the job payload: the report's JSON text as the API queued it
   * @param jobId the BullMQ job id (`<cluster>.<seq>`); the API names the authenticated
   *   sender in it, so rejections are labelled with who sent the report, never with whom it names
   */
  async ingest(text: unknown, jobId: string): Promise<IngestResult> {
    const started = process.hrtime.bigint();
    const decoded = decodeReportText(text, this.options.maxReportBytes);
    const kind = decoded.ok ? decoded.report.kind : 'unknown';
    const result = decoded.ok
      ? await this.verifyAndApply(decoded.report, jobId)
      : { result: 'rejected' as const, reason: decoded.reason === 'oversized' ? RejectReason.Oversized : RejectReason.Malformed, problem: decoded.problem };
    this.metrics.ingestDuration.observe({ kind }, Number(process.hrtime.bigint() - started) / 1e9);
    await this.record(result, kind, jobId, decoded.ok ? decoded.report.seq : undefined);
    return result;
  }

  /**
   * A job whose payload could not even be read from the queue (larger than any report, or
   * not JSON): counted and alerted like any rejection.
   */
  async refuse(reason: RejectReason.Oversized | RejectReason.Malformed, jobId: string): Promise<IngestResult> {
    const result: IngestResult = { result: 'rejected', reason };
    await this.record(result, 'unknown', jobId, undefined);
    return result;
  }

  private async record(result: IngestResult, kind: string, jobId: string, seq: number | undefined): Promise<void> {
    const sender = senderOf(jobId);
    const label = result.result === 'rejected' ? result.reason : result.result;
    this.metrics.reports.inc({ kind, result: label });
    if (result.result === 'rejected') {
      this.logger.warn({ cluster: sender, kind, seq, jobId: jobId.slice(0, 128), reason: result.reason, problem: result.problem }, 'report rejected');
      await this.alerts.fire(condition(AlertRule.ReportRejected, await this.clusterLabels(sender),
        `report from ${sender} rejected: ${result.reason}`, { reason: result.reason }, result.reason));
    } else if (result.result === 'duplicate') {
      this.logger.info({ cluster: sender, kind, jobId }, 'duplicate report ignored');
    }
  }

  private async verifyAndApply(report: Report, jobId: string): Promise<IngestResult> {
    const reject = (reason: RejectReason): IngestResult => ({ result: 'rejected', reason });
    if (clusterOfJobId(jobId) !== report.cluster) return reject(RejectReason.CrossCluster);
    const now = Date.now();
    const reportedAt = Date.parse(report.time);
    if (reportedAt > now + this.options.maxClockSkewMs || reportedAt < now - this.options.maxReportAgeMs) return reject(RejectReason.ClockSkew);

    const effects = reportEffects(report, now);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      let generation = this.generations.get(report.cluster);
      if (generation === undefined || attempt > 0) {
        const [stored, revoked] = await this.redis.hmget(this.scripts.keys.cluster(report.cluster), 'keyGeneration', 'revoked');
        if (!stored) return reject(RejectReason.UnknownCluster);
        if (revoked === '1') return reject(RejectReason.Revoked);
        generation = Number(stored);
        if (this.generations.size >= GENERATION_CACHE_SIZE) this.generations.clear();
        this.generations.set(report.cluster, generation);
      }
      if (!verifyReportSignature(report, this.registry.reportKey(report.cluster, generation))) {
        if (attempt === 0) continue;
        return reject(RejectReason.Signature);
      }
      const outcome = await this.scripts.ingestReport(report.cluster, report.seq, generation, now, effects.event, effects.groups);
      switch (outcome.code) {
        case IngestCode.Applied:
          await this.raiseAlerts(report, outcome);
          await publishLiveChange(this.redis, this.scripts.keys.liveChannel(), `cluster:${report.cluster}`);
          return { result: 'applied', outcome };
        case IngestCode.Duplicate: return { result: 'duplicate' };
        case IngestCode.Replay: return reject(RejectReason.Replay);
        case IngestCode.SeqJump: return reject(RejectReason.SeqJump);
        case IngestCode.Revoked: return reject(RejectReason.Revoked);
        case IngestCode.UnknownCluster:
          this.generations.delete(report.cluster);
          return reject(RejectReason.UnknownCluster);
        // Rotated since the generation was cached: read it again and verify once more.
        case IngestCode.KeyGenerationChanged: continue;
      }
    }
    return reject(RejectReason.Signature);
  }

  /** Alert rules on the transitions this report made. */
  private async raiseAlerts(report: Report, outcome: IngestOutcome): Promise<void> {
    const target = { cluster: report.cluster, region: outcome.region ?? '', revision: outcome.revision ?? '' };
    if (outcome.prevState === 'offline') await this.alerts.resolve(alertFingerprint(AlertRule.ClusterOffline, report.cluster));
    if (report.kind === ReportKind.Sync) {
      if (isFailedStatus(report.body.status)) {
        await this.alerts.fire(condition(AlertRule.SyncFailed, { ...target, revision: report.body.revision },
          `sync of ${report.body.revision.slice(0, 12)} failed: ${report.body.reason}${report.body.error ? ` — ${report.body.error}` : ''}`,
          { reason: report.body.reason }));
      } else if (outcome.sync === 'succeeded' && outcome.prevSync !== 'succeeded') {
        await this.alerts.resolve(alertFingerprint(AlertRule.SyncFailed, report.cluster));
      }
    }
    if (report.kind === ReportKind.Drift && outcome.prevDrift !== outcome.drift) {
      if ((outcome.drift ?? 0) > 0) {
        await this.alerts.fire(condition(AlertRule.DriftDetected, target, `${outcome.drift} object(s) drifted from ${target.revision.slice(0, 12) || 'the repository'}`));
      } else {
        await this.alerts.resolve(alertFingerprint(AlertRule.DriftDetected, report.cluster));
      }
    }
  }

  /**
   * Labels of a rejection alert. Senders that are no registered cluster share one alert per
   * reason, so forged names cannot create alerts without bound.
   */
  private async clusterLabels(sender: string) {
    const [region, revision] = await this.redis.hmget(this.scripts.keys.cluster(sender), 'region', 'revision');
    if (region === null || region === undefined) return { cluster: UNREGISTERED, region: '', revision: '' };
    return { cluster: sender, region, revision: revision ?? '' };
  }
}

const UNREGISTERED = '(unregistered)';
const CLUSTER_NAME = new RegExp(CLUSTER_NAME_PATTERN);

/**
 * The cluster that sent a job, fit for logs and labels (never a long or odd string): the
 * job id's, which the API sets from the token it authenticated.
 */
function senderOf(jobId: string): string {
  const sender = clusterOfJobId(jobId);
  return CLUSTER_NAME.test(sender) ? sender : UNREGISTERED;
}
