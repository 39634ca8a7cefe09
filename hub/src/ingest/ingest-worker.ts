import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type JobJson, type WorkerOptions } from 'bullmq';
import { EARLIER_REPORT_QUEUE, REPORT_QUEUE, type Logger } from '@netfleet/shared';
import { RejectReason, type ReportIngest } from './ingest.js';
import { maxPayloadChars, type PayloadShape } from './report-job.js';

export interface IngestWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Jobs processed at once by each queue's worker. */
  concurrency: number;
  /** Largest accepted report; the job payload is measured against it before it is read. */
  maxReportBytes: number;
}

type Refusal = RejectReason.Oversized | RejectReason.Malformed;

/** What a job's processing returns (BullMQ keeps it with the job): how many of its reports ended how. */
export type JobSummary = Record<string, number>;

/**
 * The BullMQ workers on the report queues; each job holds the reports of the requests the API
 * gathered in one commit window. One worker takes the queue of this version (`REPORT_QUEUE`),
 * which replicas of earlier versions do not read (they would refuse its jobs); another the
 * queue of earlier versions (`EARLIER_REPORT_QUEUE`), where their APIs queue reports while a
 * rolling upgrade runs (empty otherwise: that worker then only waits). Both take every job
 * format. Replicas
 * share the queues; the seq check in the ingest script makes a report applied once even when
 * a job is delivered twice (a stalled job taken over after a crash, or a retry). Rejections
 * complete the job (retrying cannot help); errors (Redis away) fail the attempt so BullMQ
 * retries it.
 *
 * A payload too large for any report, or that is not JSON, is refused before it is parsed
 * and failed at once (UnrecoverableError: no retry, no stall loop), counted and alerted
 * like any rejection.
 */
export class IngestWorker {
  /** One per queue, each with its own blocking connection. */
  private readonly workers: ReportWorker[];

  constructor(ingest: ReportIngest, options: IngestWorkerOptions, logger: Logger) {
    this.workers = [REPORT_QUEUE, EARLIER_REPORT_QUEUE].map((queue) => reportWorker(queue, ingest, options, logger.child({ queue })));
  }

  start(): void {
    for (const worker of this.workers) void worker.run();
  }

  get running(): boolean {
    return this.workers.every((worker) => worker.isRunning());
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

/** The worker on `queue`: ingests each job, refuses the unreadable ones. */
function reportWorker(queue: string, ingest: ReportIngest, options: IngestWorkerOptions, logger: Logger): ReportWorker {
  const worker = new ReportWorker(
    queue,
    options.maxReportBytes,
    async (job, refusal) => {
      if (refusal === undefined) return summary(await ingest.ingest(job.data, job.id ?? ''));
      await ingest.refuse(refusal, job.id ?? '');
      throw new UnrecoverableError(`report refused: ${refusal}`);
    },
    {
      connection: options.connection, prefix: options.prefix, concurrency: options.concurrency, autorun: false,
      // A Redis outage or a dead replica can leave jobs active without a live lock: take
      // them over soon (reports are small) and never fail them for it (the seq check makes
      // a second run harmless).
      lockDuration: 10_000,
      stalledInterval: 5_000,
      maxStalledCount: 100,
    },
  );
  worker.on('error', (error) => logger.warn({ err: error.message }, 'report worker error'));
  worker.on('failed', (job, error) => {
    if (error instanceof UnrecoverableError) return;
    logger.warn({ jobId: job?.id, err: error.message }, 'report processing failed, will retry');
  });
  return worker;
}

/**
 * A BullMQ worker that measures each job's payload before BullMQ parses it and keeps
 * undecodable payloads from failing inside BullMQ (where the job would be left active and
 * retried through stall recovery): such a job is handed over with no data and its refusal.
 */
class ReportWorker extends Worker<unknown, JobSummary> {
  private readonly refusals = new WeakMap<Job, Refusal>();

  constructor(
    queue: string,
    private readonly maxReportBytes: number,
    process: (job: Job<unknown, JobSummary>, refusal: Refusal | undefined) => Promise<JobSummary>,
    options: WorkerOptions,
  ) {
    super(queue, (job: Job<unknown, JobSummary>) => process(job, this.refusals.get(job)), options);
  }

  protected override createJob(raw: JobJson, jobId: string): Job<unknown, JobSummary> {
    if ((raw.data?.length ?? 0) > maxPayloadChars(this.maxReportBytes, shapeOf(raw.data))) return this.refused({ ...raw, data: 'null' }, jobId, RejectReason.Oversized);
    try {
      return super.createJob(raw, jobId);
    } catch {
      return this.refused({ ...raw, data: 'null' }, jobId, RejectReason.Malformed);
    }
  }

  private refused(raw: JobJson, jobId: string, refusal: Refusal): Job<unknown, JobSummary> {
    const job = super.createJob(raw, jobId);
    this.refusals.set(job, refusal);
    return job;
  }
}

/** The shape a payload claims from its first character; anything but a group or a list is measured as one report. */
function shapeOf(payload: string | undefined): PayloadShape {
  if (payload?.startsWith('{"requests"')) return 'group';
  return payload?.startsWith('[') ? 'request' : 'report';
}

function summary(results: ReadonlyArray<{ result: string; reason?: string }>): JobSummary {
  const counts: JobSummary = {};
  for (const result of results) {
    const label = result.reason ?? result.result;
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}
