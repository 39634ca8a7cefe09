import {
  CLUSTER_NAME_PATTERN, clusterOfJobId, decodeReportText, verifyReportSignature, type Logger, type Report,
} from '@netfleet/shared';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubMetrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { IngestCode, type HubScripts, type IngestOutcome } from '../redis/scripts.js';
import type { AlertChange, AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, condition } from '../alerts/rules.js';
import { reportEffects } from './report-effects.js';
import { alertChanges } from './report-alerts.js';
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
 * Verifies and applies the reports of a job: each one's size, nesting and schema, the job
 * id's cluster (the authenticated sender), the time within the clock-skew window,
 * registration and revocation, signature, then one Lua script call that, report by report
 * in order, checks the seq window and writes state atomically (stamped with the hub's
 * receive time). Alerts follow from the transitions the script reports. Rejections are
 * counted, logged without the body, and raise an alert labelled with the sender.
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
   * Ingests one job of the report queue: every report it holds, in order, with one ingest
   * script call for those that pass verification. One result per report.
   * @param data the job payload: the reports' JSON texts as the API queued them (or one
   *   report's text, as an earlier hub version queued it)
   * @param jobId the BullMQ job id (`reportBatchJobId`); the API names the authenticated
   *   sender in it, so rejections are labelled with who sent the report, never with whom it names
   */
  async ingest(data: unknown, jobId: string): Promise<IngestResult[]> {
    const started = process.hrtime.bigint();
    // An empty list is no report: taken as one undecodable report, so it is counted.
    const texts: unknown[] = Array.isArray(data) && data.length > 0 ? data : [data];
    const results: IngestResult[] = [];
    const decoded: Array<Report | undefined> = [];
    for (const [index, text] of texts.entries()) {
      const outcome = decodeReportText(text, this.options.maxReportBytes);
      if (outcome.ok) decoded[index] = outcome.report;
      else results[index] = { result: 'rejected', reason: outcome.reason === 'oversized' ? RejectReason.Oversized : RejectReason.Malformed, problem: outcome.problem };
    }
    await this.verifyAndApply(decoded.flatMap((report, index) => (report ? [{ index, report }] : [])), jobId, results);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const [index, result] of results.entries()) {
      const kind = decoded[index]?.kind ?? 'unknown';
      this.metrics.ingestDuration.observe({ kind }, seconds);
      await this.record(result, kind, jobId, decoded[index]?.seq);
    }
    return results;
  }

  /**
   * A job whose payload could not even be read from the queue (larger than any job, or
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
      this.logger.info({ cluster: sender, kind, seq, jobId }, 'duplicate report ignored');
    }
  }

  /**
   * Verifies the decoded reports of one job (sender, time, registration, signature) and
   * applies those that pass in one ingest script call; writes each report's result at its
   * index. A job holds one sender's reports, so one key generation verifies them all.
   */
  private async verifyAndApply(reports: ReadonlyArray<{ index: number; report: Report }>, jobId: string, results: IngestResult[]): Promise<void> {
    const reject = (index: number, reason: RejectReason) => {
      results[index] = { result: 'rejected', reason };
    };
    const sender = clusterOfJobId(jobId);
    const now = Date.now();
    let pending: Array<{ index: number; report: Report }> = [];
    for (const entry of reports) {
      const reportedAt = Date.parse(entry.report.time);
      if (entry.report.cluster !== sender) reject(entry.index, RejectReason.CrossCluster);
      else if (reportedAt > now + this.options.maxClockSkewMs || reportedAt < now - this.options.maxReportAgeMs) reject(entry.index, RejectReason.ClockSkew);
      else pending.push(entry);
    }
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      let generation = this.generations.get(sender);
      if (generation === undefined || attempt > 0) {
        const [stored, revoked] = await this.redis.hmget(this.scripts.keys.cluster(sender), 'keyGeneration', 'revoked');
        if (!stored || revoked === '1') {
          for (const entry of pending) reject(entry.index, stored ? RejectReason.Revoked : RejectReason.UnknownCluster);
          return;
        }
        generation = Number(stored);
        if (this.generations.size >= GENERATION_CACHE_SIZE) this.generations.clear();
        this.generations.set(sender, generation);
      }
      const key = this.registry.reportKey(sender, generation);
      const signed = pending.filter((entry) => verifyReportSignature(entry.report, key));
      // A signature that does not verify with a cached generation may be of a newer one: read it again first.
      if (signed.length < pending.length && attempt === 0) continue;
      for (const entry of pending) if (!signed.includes(entry)) reject(entry.index, RejectReason.Signature);
      if (signed.length === 0) return;
      const outcomes = await this.scripts.ingestReports(sender, generation, now,
        signed.map(({ report }) => ({ seq: report.seq, ...reportEffects(report, now) })));
      // Rotated since the generation was cached (every outcome says so): read it again and verify once more.
      if (outcomes[0]?.code === IngestCode.KeyGenerationChanged) {
        pending = signed;
        continue;
      }
      const changes: AlertChange[] = [];
      for (const [position, outcome] of outcomes.entries()) {
        const { index, report } = signed[position]!;
        results[index] = this.resultOf(report, outcome);
        if (outcome.code === IngestCode.Applied) changes.push(...alertChanges(report, outcome));
      }
      await this.alerts.apply(changes, now);
      // One notice per job, however many of its reports changed the cluster: dashboards re-read it.
      if (outcomes.some((outcome) => outcome.code === IngestCode.Applied)) {
        await publishLiveChange(this.redis, this.scripts.keys.liveChannel(), `cluster:${sender}`);
      }
      return;
    }
    for (const entry of pending) reject(entry.index, RejectReason.Signature);
  }

  private resultOf(report: Report, outcome: IngestOutcome): IngestResult {
    switch (outcome.code) {
      case IngestCode.Applied: return { result: 'applied', outcome };
      case IngestCode.Duplicate: return { result: 'duplicate' };
      case IngestCode.Replay: return { result: 'rejected', reason: RejectReason.Replay };
      case IngestCode.SeqJump: return { result: 'rejected', reason: RejectReason.SeqJump };
      case IngestCode.Revoked: return { result: 'rejected', reason: RejectReason.Revoked };
      case IngestCode.UnknownCluster:
        this.generations.delete(report.cluster);
        return { result: 'rejected', reason: RejectReason.UnknownCluster };
      case IngestCode.KeyGenerationChanged: return { result: 'rejected', reason: RejectReason.Signature };
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
