import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger } from '@netfleet/shared';
import type { HubKeys } from '../redis/keys.js';
import type { HubMetrics } from '../metrics.js';
import type { DeliveryJob } from './alert-engine.js';
import { buildDelivery, type SinkConfig } from './sinks.js';

export const ALERT_QUEUE = 'alerts';

export interface DeliveryWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  sinks: SinkConfig[];
  publicUrl: string;
  timeoutMs: number;
  /** Alertmanager: validity of a firing alert between repeats. */
  firingValidityMs: number;
  historyCap: number;
}

/** One entry of the delivery history (`GET /api/v1/alerts/deliveries`). */
export interface DeliveryRecord {
  time: string;
  sink: string;
  /** The notification's id, as its receiver got it (webhooks: `X-Netfleet-Delivery`). */
  delivery: string;
  fingerprint: string;
  status: 'firing' | 'resolved';
  attempt: number;
  result: 'delivered' | 'failed';
  httpStatus?: number;
  error?: string;
}

/**
 * Sends alert deliveries: one job per alert and sink, retried with exponential backoff by
 * BullMQ; every attempt is recorded in the delivery history and counted in metrics.
 */
export class DeliveryWorker {
  private readonly worker: Worker<DeliveryJob>;
  private readonly sinks: Map<string, SinkConfig>;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: HubKeys,
    private readonly metrics: HubMetrics,
    private readonly options: DeliveryWorkerOptions,
    private readonly logger: Logger,
  ) {
    this.sinks = new Map(options.sinks.map((sink) => [sink.name, sink]));
    this.worker = new Worker<DeliveryJob>(ALERT_QUEUE, (job) => this.deliver(job), {
      connection: options.connection, prefix: options.prefix, concurrency: 4, autorun: false,
    });
    this.worker.on('error', (error) => this.logger.warn({ err: error.message }, 'alert delivery worker error'));
  }

  start(): void {
    void this.worker.run();
  }

  close(): Promise<void> {
    return this.worker.close();
  }

  private async deliver(job: Job<DeliveryJob>): Promise<void> {
    const { sink: name, alert } = job.data;
    const delivery = job.data.id ?? `job-${job.id}`;
    const sink = this.sinks.get(name);
    if (!sink) {
      this.logger.warn({ sink: name }, 'alert delivery for an unknown sink dropped');
      return;
    }
    const request = buildDelivery(sink, alert, {
      publicUrl: this.options.publicUrl, firingValidityMs: this.options.firingValidityMs, now: Date.now(), deliveryId: delivery,
    });
    const record: DeliveryRecord = {
      time: new Date().toISOString(), sink: name, delivery, fingerprint: alert.fingerprint, status: alert.status,
      attempt: job.attemptsMade + 1, result: 'failed',
    };
    try {
      const response = await fetch(request.url, {
        method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      record.httpStatus = response.status;
      await response.body?.cancel();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      record.result = 'delivered';
    } catch (error) {
      // The URL may hold a secret (Slack webhooks do): log the sink name, never the URL.
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      record.error = `${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`;
      throw new Error(`delivery to sink ${name} failed: ${record.error}`);
    } finally {
      this.metrics.alertDeliveries.inc({ sink: name, result: record.result });
      this.logger.info({ sink: name, alert: alert.fingerprint, attempt: record.attempt, result: record.result, error: record.error }, 'alert delivery');
      await this.redis.multi()
        .lpush(this.keys.deliveries(), JSON.stringify(record))
        .ltrim(this.keys.deliveries(), 0, this.options.historyCap - 1)
        .exec();
    }
  }
}
