import {
  CLUSTER_NAME_PATTERN, clusterOfJobId, decodeReportText, verifyReportText, type Logger, type Report,
} from '@netfleet/shared';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubMetrics } from '../metrics.js';
import type { Registry } from '../registry/registry.js';
import { IngestCode, type HubScripts, type IngestOutcome } from '../redis/scripts.js';
import type { AlertChange, AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, condition } from '../alerts/rules.js';
import { reportEffects } from './report-effects.js';
import { alertChanges } from './report-alerts.js';
import { publishLiveChange, type LiveSubject } from '../live/live-feed.js';
import type { ReportJobData, RequestReports } from './report-job.js';

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
 * Verifies and applies the reports of a job: each one's size, nesting and schema, the
 * authenticated sender the API named, the time within the clock-skew window,
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
   * Ingests one job of the report queue: every request it holds, each one's reports in
   * order; the requests' ingest script calls go out together (one round trip), and the
   * alert changes and the dashboards' notice of the whole job follow in one step each.
   * One result per report, in the job's order.
   * @param data the job payload: the requests the API gathered (`ReportJobData`), or as an
   *   earlier hub version queued it, one request's texts or one report's text
   * @param jobId the BullMQ job id; in a job of an earlier hub version it names the sender
   */
  async ingest(data: unknown, jobId: string): Promise<IngestResult[]> {
    const started = process.hrtime.bigint();
    const now = Date.now();
    const requests = jobRequests(data, jobId).map((request) => this.decode(request));
    const applied = await Promise.all(requests.map((request) => this.verifyAndApply(request, now)));
    await this.alerts.apply(applied.flat(), now);
    // One notice per job, however many of its reports changed a cluster: dashboards re-read them.
    const changed = requests.filter((request) => request.results.some((result) => result.result === 'applied'));
    if (changed.length > 0) {
      await publishLiveChange(this.redis, this.scripts.keys.liveChannel(), ...new Set(changed.map((request): LiveSubject => `cluster:${request.sender}`)));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const results: IngestResult[] = [];
    // Counted once per kind and result for the whole job, after the rejections are logged and alerted.
    const counts = new Map<string, { kind: string; result: string; count: number }>();
    for (const request of requests) {
      for (const [index, result] of request.results.entries()) {
        const kind = request.decoded[index]?.kind ?? 'unknown';
        this.metrics.ingestDuration.observe({ kind }, seconds);
        if (result.result !== 'applied') await this.record(result, kind, request.sender, jobId, request.decoded[index]?.seq);
        const label = labelOfResult(result);
        const counted = counts.get(`${kind} ${label}`);
        if (counted) counted.count += 1;
        else counts.set(`${kind} ${label}`, { kind, result: label, count: 1 });
        results.push(result);
      }
    }
    for (const { kind, result, count } of counts.values()) this.metrics.reports.inc({ kind, result }, count);
    return results;
  }

  /**
   * A job whose payload could not even be read from the queue (larger than any job, or
   * not JSON): counted and alerted like any rejection.
   */
  async refuse(reason: RejectReason.Oversized | RejectReason.Malformed, jobId: string): Promise<IngestResult> {
    const result: IngestResult = { result: 'rejected', reason };
    await this.record(result, 'unknown', clusterOfJobId(jobId), jobId, undefined);
    this.metrics.reports.inc({ kind: 'unknown', result: reason });
    return result;
  }

  /** Logs a report that was not applied; a rejection also raises an alert labelled with the sender. */
  private async record(result: IngestResult, kind: string, sentBy: string, jobId: string, seq: number | undefined): Promise<void> {
    const sender = labelOf(sentBy);
    if (result.result === 'rejected') {
      this.logger.warn({ cluster: sender, kind, seq, jobId: jobId.slice(0, 128), reason: result.reason, problem: result.problem }, 'report rejected');
      await this.alerts.fire(condition(AlertRule.ReportRejected, await this.clusterLabels(sender),
        `report from ${sender} rejected: ${result.reason}`, { reason: result.reason }, result.reason));
    } else if (result.result === 'duplicate') {
      this.logger.info({ cluster: sender, kind, seq, jobId }, 'duplicate report ignored');
    }
  }

  /** Decodes a request's texts (size, nesting, schema); those that cannot be get their result now. */
  private decode(request: JobRequest): DecodedRequest {
    const decoded: Array<Report | undefined> = [];
    const results: IngestResult[] = [];
    for (const [index, text] of request.texts.entries()) {
      const outcome = decodeReportText(text, this.options.maxReportBytes);
      if (outcome.ok) decoded[index] = outcome.report;
      else results[index] = { result: 'rejected', reason: outcome.reason === 'oversized' ? RejectReason.Oversized : RejectReason.Malformed, problem: outcome.problem };
    }
    return { sender: request.sender, texts: request.texts, decoded, results };
  }

  /**
   * Verifies the decoded reports of one request (sender, time, registration, signature) and
   * applies those that pass in one ingest script call; writes each report's result at its
   * index and returns the alert changes they make. A request holds one sender's reports, so
   * one key generation verifies them all.
   */
  private async verifyAndApply(request: DecodedRequest, now: number): Promise<AlertChange[]> {
    const { sender, results } = request;
    const reject = (index: number, reason: RejectReason) => {
      results[index] = { result: 'rejected', reason };
    };
    // Each decoded report with its text: the signature is checked on the text it came in.
    let pending: Array<{ index: number; report: Report; text: string }> = [];
    for (const [index, report] of request.decoded.entries()) {
      if (!report) continue;
      const reportedAt = Date.parse(report.time);
      if (report.cluster !== sender) reject(index, RejectReason.CrossCluster);
      else if (reportedAt > now + this.options.maxClockSkewMs || reportedAt < now - this.options.maxReportAgeMs) reject(index, RejectReason.ClockSkew);
      else pending.push({ index, report, text: request.texts[index] as string });
    }
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt += 1) {
      let generation = this.generations.get(sender);
      if (generation === undefined || attempt > 0) {
        const [stored, revoked] = await this.redis.hmget(this.scripts.keys.cluster(sender), 'keyGeneration', 'revoked');
        if (!stored || revoked === '1') {
          for (const entry of pending) reject(entry.index, stored ? RejectReason.Revoked : RejectReason.UnknownCluster);
          return [];
        }
        generation = Number(stored);
        if (this.generations.size >= GENERATION_CACHE_SIZE) this.generations.clear();
        this.generations.set(sender, generation);
      }
      const key = this.registry.reportKey(sender, generation);
      const signed = pending.filter((entry) => verifyReportText(entry.text, entry.report, key));
      // A signature that does not verify with a cached generation may be of a newer one: read it again first.
      if (signed.length < pending.length && attempt === 0) continue;
      for (const entry of pending) if (!signed.includes(entry)) reject(entry.index, RejectReason.Signature);
      if (signed.length === 0) return [];
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
      return changes;
    }
    for (const entry of pending) reject(entry.index, RejectReason.Signature);
    return [];
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

/** One request of a job: the cluster whose token sent it (as the API named it) and its report texts. */
interface JobRequest {
  sender: string;
  texts: unknown[];
}

/** A request's reports decoded, and each one's result as far as it is known (by index). */
interface DecodedRequest {
  sender: string;
  /** The texts the reports were decoded from (a decoded report's is a string). */
  texts: unknown[];
  decoded: Array<Report | undefined>;
  results: IngestResult[];
}

/**
 * The requests of a job: a group names each request's sender; a job of an earlier hub
 * version is one request whose sender is in the job id. A request without report texts is
 * taken as one undecodable report, so it is counted.
 */
function jobRequests(data: unknown, jobId: string): JobRequest[] {
  const requests = (data as Partial<ReportJobData> | null)?.requests;
  if (!Array.isArray(data) && Array.isArray(requests) && requests.length > 0) {
    return requests.map((request: Partial<Record<keyof RequestReports, unknown>> | null) => ({
      sender: typeof request?.sender === 'string' ? request.sender : '',
      texts: textsOf(request?.reports),
    }));
  }
  return [{ sender: clusterOfJobId(jobId), texts: textsOf(data) }];
}

const textsOf = (texts: unknown): unknown[] => (Array.isArray(texts) && texts.length > 0 ? texts : [texts]);

/** The `result` label of the reports metric: `applied`, `duplicate` or the rejection reason. */
const labelOfResult = (result: IngestResult): string => (result.result === 'rejected' ? result.reason : result.result);

/** The sender as logs and alert labels show it: a cluster name, never a long or odd string. */
function labelOf(sender: string): string {
  return CLUSTER_NAME.test(sender) ? sender : UNREGISTERED;
}
