import type { Queue } from 'bullmq';
import { HubError, HubErrorCode } from '../errors.js';
import { MAX_REPORTS_PER_REQUEST } from '@netfleet/shared';
import { MAX_REPORTS_PER_JOB, maxJobBytes, reportJob, type RequestReports } from './report-job.js';

/**
 * A job holding this many reports is written without waiting for the rest of its window:
 * BullMQ's cost per job is then a small share of its reports' (a report costs the worker
 * about what an empty job costs BullMQ), and under load the requests waiting on a window
 * would otherwise leave the hub idle for it.
 */
export const JOB_FILLED_REPORTS = MAX_REPORTS_PER_REQUEST;

export interface ReportCommitOptions {
  /** Longest a request waits for others to share its job. */
  windowMs: number;
  /** Largest accepted report: a job holds at most `maxJobBytes` of report text. */
  maxReportBytes: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Requests gathered for one job. */
interface OpenJob {
  requests: RequestReports[];
  reports: number;
  bytes: number;
  waiters: Waiter[];
  timer: NodeJS.Timeout;
}

/**
 * Group commit of the API's report requests: the requests that arrive within `windowMs` are
 * queued as one job, in one Redis write, and each waits for that write; a job is written as
 * soon as it holds `JOB_FILLED_REPORTS` (batch size or linger time, whichever comes first). So a request is
 * answered 2xx only once its reports are in Redis, and when the write fails every request
 * it held fails with a Redis HubError (the API answers 503, the agents keep the reports
 * spooled and send them again). A job is written early when another request would take it past its
 * bounds (report text, number of reports).
 */
export class ReportCommit {
  private open: OpenJob | undefined;

  constructor(private readonly queue: Queue, private readonly options: ReportCommitOptions, private readonly onQueued: () => void) {}

  /** Queues one request part (at most `maxJobBytes` of text); resolves once the job holding it is in Redis. */
  queueRequest(part: RequestReports & { bytes: number }): Promise<void> {
    if (this.open && !this.fits(this.open, part)) this.write(this.open);
    const open = this.open ?? this.opened();
    open.requests.push({ sender: part.sender, reports: part.reports });
    open.reports += part.reports.length;
    open.bytes += part.bytes;
    const written = new Promise<void>((resolve, reject) => open.waiters.push({ resolve, reject }));
    if (open.reports >= JOB_FILLED_REPORTS) this.write(open);
    return written;
  }

  private fits(open: OpenJob, part: { reports: readonly string[]; bytes: number }): boolean {
    return open.bytes + part.bytes <= maxJobBytes(this.options.maxReportBytes) && open.reports + part.reports.length <= MAX_REPORTS_PER_JOB;
  }

  private opened(): OpenJob {
    const open: OpenJob = { requests: [], reports: 0, bytes: 0, waiters: [], timer: setTimeout(() => this.write(open), this.options.windowMs) };
    this.open = open;
    return open;
  }

  private write(open: OpenJob): void {
    clearTimeout(open.timer);
    if (this.open === open) this.open = undefined;
    const job = reportJob(open.requests);
    this.queue.add(job.name, job.data, job.opts).then(() => {
      this.onQueued();
      for (const waiter of open.waiters) waiter.resolve();
    }, (error: unknown) => {
      // Whatever went wrong (Redis away, full, refusing the write), nothing was queued: retry later.
      const failed = new HubError(HubErrorCode.Redis, 'the reports could not be queued', { cause: error, hint: 'send them again later' });
      for (const waiter of open.waiters) waiter.reject(failed);
    });
  }
}
