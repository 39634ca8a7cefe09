import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { REPORT_QUEUE, type Logger } from '@netfleet/shared';
import type { IngestResult, ReportIngest } from './ingest.js';

export interface IngestWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
}

/**
 * The BullMQ worker on the report queue. Replicas share the queue; the seq check in the
 * ingest script makes a report applied once even when a job is delivered twice (a stalled
 * job taken over after a crash). Rejections complete the job (retrying cannot help);
 * errors (Redis away) fail the attempt so BullMQ retries it.
 */
export class IngestWorker {
  private readonly worker: Worker<unknown, IngestResult>;

  constructor(ingest: ReportIngest, options: IngestWorkerOptions, private readonly logger: Logger) {
    this.worker = new Worker<unknown, IngestResult>(
      REPORT_QUEUE,
      (job: Job<unknown, IngestResult>) => ingest.ingest(job.data, job.id ?? '', Buffer.byteLength(JSON.stringify(job.data ?? null))),
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
    this.worker.on('error', (error) => this.logger.warn({ err: error.message }, 'report worker error'));
    this.worker.on('failed', (job, error) => this.logger.warn({ jobId: job?.id, err: error.message }, 'report processing failed, will retry'));
  }

  start(): void {
    void this.worker.run();
  }

  get running(): boolean {
    return this.worker.isRunning();
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
