import type { Queue } from 'bullmq';
import { ReportKind, type ReportBatchAccepted, type ReportRefusal } from '@netfleet/shared';
import { HubError, HubErrorCode } from '../errors.js';
import type { HubMetrics } from '../metrics.js';
import { requestParts } from './report-job.js';
import { ReportCommit } from './report-commit.js';

export interface ReportIntakeOptions {
  /** Largest serialized report; larger ones are refused (`oversized`). */
  maxReportBytes: number;
  /** Jobs waiting in the report queues beyond which senders are told to come back later. */
  maxQueueDepth: number;
  /** What `Retry-After` says when the queue is full. */
  retryAfterSeconds: number;
  /** Requests arriving within this window are queued together as one job (group commit). */
  commitWindowMs: number;
}

/** The queue depth is read at most this often; between reads the last count is used. */
const DEPTH_TTL_MS = 250;

/** The hub is busy: the API answers 429 with `Retry-After: seconds`. */
export class ReportQueueFull extends HubError {
  constructor(readonly retryAfterSeconds: number, depth: number) {
    super(HubErrorCode.Busy, `the report queue holds ${depth} reports, over its bound; retry in ${retryAfterSeconds} s`, {
      hint: 'the agent keeps its reports spooled and sends them again after Retry-After',
    });
  }
}

/**
 * The report queues the API deals with: it queues on `current`; `earlier` is where replicas
 * of an earlier hub version queue while an upgrade runs, whose waiting jobs are ingest work
 * all the same.
 */
export interface IntakeQueues {
  current: Queue;
  earlier: Queue;
}

/**
 * The API's side of the report queue: checks what it can without Redis round trips (every
 * report is the sender's own, a report's size, that it has a seq) and queues the request's
 * reports, as their JSON texts named with the cluster whose token sent them, for the ingest
 * workers, which check everything else. Requests arriving together share one job
 * (`ReportCommit`); a request is answered once its job is in Redis.
 */
export class ReportIntake {
  private depth: { count: number; at: number } | undefined;
  private reading: Promise<number> | undefined;

  private readonly commit: ReportCommit;

  constructor(private readonly queues: IntakeQueues, private readonly metrics: HubMetrics, private readonly options: ReportIntakeOptions) {
    this.commit = new ReportCommit(queues.current, { windowMs: options.commitWindowMs, maxReportBytes: options.maxReportBytes }, () => {
      if (this.depth) this.depth.count += 1;
    });
  }

  /**
   * Queues the reports a cluster sent; resolves once they are in Redis. Throws
   * `ReportQueueFull` when the queue is over its bound, a Forbidden HubError when a report
   * names another cluster (nothing is queued then), the Redis error when the write failed.
   */
  async accept(sender: string, reports: readonly unknown[]): Promise<ReportBatchAccepted> {
    const named = reports.map((report) => (report as { cluster?: unknown } | null)?.cluster);
    const foreign = named.findIndex((cluster) => cluster !== sender);
    if (foreign !== -1) {
      this.metrics.reports.inc({ kind: 'unknown', result: 'cross_cluster' }, reports.length);
      throw new HubError(HubErrorCode.Forbidden, `report ${foreign} names ${describeCluster(named[foreign])}; this token sends reports of ${sender} only`, {
        hint: 'an agent reports with its own cluster\'s credentials; check the credentials file',
      });
    }
    const depth = await this.queueDepth();
    if (depth >= this.options.maxQueueDepth) {
      this.metrics.reportsThrottled.inc();
      throw new ReportQueueFull(this.options.retryAfterSeconds, depth);
    }

    const refused: ReportRefusal[] = [];
    const accepted: Array<{ text: string; bytes: number }> = [];
    for (const report of reports) {
      const { seq, kind } = report as { seq?: unknown; kind?: unknown };
      const jobSeq = Number.isSafeInteger(seq) && (seq as number) >= 1 ? (seq as number) : null;
      const text = jobSeq === null ? undefined : serialized(report);
      const bytes = text === undefined ? 0 : Buffer.byteLength(text);
      if (jobSeq === null || text === undefined || bytes > this.options.maxReportBytes) {
        const reason = text === undefined ? 'malformed' : 'oversized';
        refused.push({ seq: jobSeq, reason });
        const kindLabel = Object.values(ReportKind).includes(kind as ReportKind) ? (kind as ReportKind) : 'unknown';
        this.metrics.reports.inc({ kind: kindLabel, result: reason });
        continue;
      }
      accepted.push({ text, bytes });
    }
    await Promise.all(requestParts(sender, accepted, this.options.maxReportBytes).map((part) => this.commit.queueRequest(part)));
    return { queued: accepted.length, refused };
  }

  /** Jobs waiting for a worker in both queues, read at most every DEPTH_TTL_MS (concurrent callers share one read). */
  private async queueDepth(): Promise<number> {
    if (this.depth && Date.now() - this.depth.at < DEPTH_TTL_MS) return this.depth.count;
    this.reading ??= Promise.all([this.queues.current, this.queues.earlier].map((queue) => queue.getJobCountByTypes('wait', 'prioritized', 'delayed')))
      .then((counts) => {
        const count = counts.reduce((sum, one) => sum + one, 0);
        this.depth = { count, at: Date.now() };
        return count;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}

/** A report's JSON text, or undefined when it has none (too deep to serialize). */
function serialized(report: unknown): string | undefined {
  try {
    return JSON.stringify(report);
  } catch {
    return undefined;
  }
}

function describeCluster(cluster: unknown): string {
  return typeof cluster === 'string' ? `cluster "${cluster.slice(0, 63)}"` : 'no cluster';
}
