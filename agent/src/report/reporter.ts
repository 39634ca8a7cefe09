import { Queue } from 'bullmq';
import {
  MAX_REPORT_BYTES, PROTOCOL_VERSION, ReportKind, createLogger, hideSecretValues, reportJobId, signReport,
  type Credentials, type DriftBody, type DriftItem, type HeartbeatBody, type LinkBody, type Logger, type SyncBody,
  type UnsignedReport,
} from '@netfleet/shared';
import { connectRedis, type RedisClient } from '@netfleet/shared/redis/connection';
import { SeqStore } from './seq-store.js';
import { Spool } from './spool.js';

/** What a heartbeat says besides the agent version (which the reporter adds). */
export type HeartbeatSummary = Omit<HeartbeatBody, 'agentVersion'>;

export interface ReporterOptions {
  /** The cluster's credentials from registration (cluster, report key, queue, prefix). */
  credentials: Credentials;
  /** Redis URL of the hub. */
  redisUrl: string;
  /** Directory of the spool and the sequence file; keep it on a persistent volume. */
  spoolDir: string;
  /** Version reported in heartbeats. */
  agentVersion: string;
  /** Heartbeat period. @defaultValue 30000 */
  heartbeatIntervalMs?: number;
  /** Reports of one kind within this window are coalesced into the last one. @defaultValue 250 */
  coalesceMs?: number;
  /** Spool bound (reports); beyond it the oldest heartbeats are dropped. @defaultValue 10000 */
  spoolMaxEntries?: number;
  /** A send that takes longer counts as failed; the report stays spooled. @defaultValue 5000 */
  sendTimeoutMs?: number;
  /** First retry delay after a failed send; doubles up to `retryMaxMs`. @defaultValue 500 */
  retryMinMs?: number;
  /** @defaultValue 30000 */
  retryMaxMs?: number;
  /** Largest report; drift items beyond it are left out (and the report says so). @defaultValue 262144 */
  maxReportBytes?: number;
  logger?: Logger;
}

type ResolvedOptions = Required<Omit<ReporterOptions, 'logger'>> & { logger: Logger };

/** The one place reporter defaults are applied. */
function resolveReporterOptions(options: ReporterOptions): ResolvedOptions {
  return {
    heartbeatIntervalMs: 30_000, coalesceMs: 250, spoolMaxEntries: 10_000, sendTimeoutMs: 5_000,
    retryMinMs: 500, retryMaxMs: 30_000, maxReportBytes: MAX_REPORT_BYTES,
    ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)),
    logger: options.logger ?? createLogger({ name: 'netfleet-reporter' }),
  } as ResolvedOptions;
}

/** Counters for logs, metrics and tests. */
export interface ReporterStats {
  /** Reports Redis accepted. */
  sent: number;
  /** Reports waiting in the spool. */
  spooled: number;
  /** Heartbeats dropped because the spool was full. */
  dropped: number;
}

type Coalesced = { kind: ReportKind.Sync; body: SyncBody } | { kind: ReportKind.Drift; body: DriftBody } | { kind: ReportKind.Link; body: LinkBody };

/**
 * The agent's side of the report channel. Reports are numbered (never reusing a number),
 * written to the spool, then sent as BullMQ jobs whose id is `<cluster>.<seq>`, so a resend
 * is idempotent. While Redis is unreachable reports stay spooled and go out in order when it
 * is back. Sync, drift and link reports are sent on change, bursts coalesced; heartbeats go
 * out on a timer with the latest summary.
 *
 * The API: `sync(body)`, `drift(items, revision)`, `heartbeat(summary)`, `start()`, `flush()`,
 * `close()`.
 */
export class Reporter {
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private credentials: Credentials;
  private redis: RedisClient | undefined;
  private queue: Queue | undefined;
  private summary: HeartbeatSummary | undefined;
  private lastDrift: string | undefined;
  private readonly pending = new Map<ReportKind, Coalesced>();
  private coalesceTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private draining: Promise<void> | undefined;
  private drainRequested = false;
  /** The first drain waits for the connection being made; later ones do not wait. */
  private waitedForConnection = false;
  /** Serializes spool writes so reports keep their seq order. */
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private sent = 0;

  private constructor(options: ResolvedOptions, private readonly spool: Spool, private readonly seqs: SeqStore) {
    this.options = options;
    this.credentials = options.credentials;
    this.logger = this.options.logger.child({ cluster: options.credentials.cluster });
    this.retryDelay = this.options.retryMinMs;
  }

  /** Opens the spool and sequence file (reports left from a previous run are sent first). */
  static async open(options: ReporterOptions): Promise<Reporter> {
    const resolved = resolveReporterOptions(options);
    const spool = await Spool.open(resolved.spoolDir, resolved.spoolMaxEntries, resolved.logger);
    const seqs = await SeqStore.open(resolved.spoolDir);
    return new Reporter(resolved, spool, seqs);
  }

  /** Connects to Redis, sends what the spool holds, and starts the heartbeat timer. */
  start(): void {
    const redis = connectRedis(this.options.redisUrl, {
      // Fail fast while Redis is away: the spool holds the reports, not ioredis' memory.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 8), this.options.retryMaxMs),
    });
    redis.on('error', (error) => this.logger.debug({ err: error.message }, 'redis unavailable'));
    redis.on('ready', () => {
      this.retryDelay = this.options.retryMinMs;
      void this.drain();
    });
    this.redis = redis;
    this.heartbeatTimer = setInterval(() => void this.sendHeartbeat(), this.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Records the latest summary; heartbeats carry it. The first one is sent at once. */
  heartbeat(summary: HeartbeatSummary): void {
    const first = this.summary === undefined;
    this.summary = summary;
    if (first) void this.sendHeartbeat();
  }

  /** Reports a sync result. */
  sync(body: SyncBody): void {
    this.schedule({ kind: ReportKind.Sync, body });
  }

  /** Reports the complete current drift (an empty list: back in line). Unchanged drift is not resent. */
  drift(items: DriftItem[], revision: string): void {
    const body = this.fitDrift({ revision, items: hideSecretValues(items) });
    const fingerprint = JSON.stringify(body);
    if (fingerprint === this.lastDrift) return;
    this.lastDrift = fingerprint;
    this.schedule({ kind: ReportKind.Drift, body });
  }

  /** Reports link health (content defined with link health). */
  link(body: LinkBody): void {
    this.schedule({ kind: ReportKind.Link, body });
  }

  /** Uses new credentials (after a rotation) for everything sent from now on. */
  updateCredentials(credentials: Credentials): void {
    this.credentials = credentials;
  }

  get stats(): ReporterStats {
    return { sent: this.sent, spooled: this.spool.size, dropped: this.spool.dropped };
  }

  /** Spools whatever is being coalesced and tries to send everything now. */
  async flush(): Promise<void> {
    await this.spoolPending();
    await this.drain();
  }

  /** Stops timers, spools pending reports and closes the connection; unsent reports stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeatTimer);
    await this.flush().catch((error: unknown) => this.logger.warn({ err: String(error) }, 'final flush failed; reports stay spooled'));
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.writes;
    await this.draining;
    // With Redis away BullMQ's close could wait for it; the spool already holds everything.
    if (this.queue) await withTimeout(this.queue.close(), this.options.sendTimeoutMs).catch(() => undefined);
    this.redis?.disconnect();
    await this.spool.close();
  }

  private schedule(report: Coalesced): void {
    if (this.closed) return;
    this.pending.delete(report.kind);
    this.pending.set(report.kind, report);
    this.coalesceTimer ??= setTimeout(() => void this.spoolPending().then(() => this.drain()), this.options.coalesceMs);
  }

  private spoolPending(): Promise<void> {
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    const reports = [...this.pending.values()];
    this.pending.clear();
    return this.enqueue(reports);
  }

  private sendHeartbeat(): Promise<void> {
    if (!this.summary || this.closed) return Promise.resolve();
    return this.enqueue([{ kind: ReportKind.Heartbeat, body: { ...this.summary, agentVersion: this.options.agentVersion } }]).then(() => this.drain());
  }

  /** Numbers and spools reports in call order. */
  private enqueue(reports: Array<Coalesced | { kind: ReportKind.Heartbeat; body: HeartbeatBody }>): Promise<void> {
    const write = this.writes.then(async () => {
      for (const { kind, body } of reports) {
        const seq = await this.seqs.next();
        await this.spool.append({
          protocolVersion: PROTOCOL_VERSION, cluster: this.credentials.cluster, seq, time: new Date().toISOString(), kind, body,
        } as UnsignedReport);
      }
    });
    this.writes = write.catch((error: unknown) => this.logger.error({ err: String(error) }, 'could not write the report spool'));
    return write;
  }

  /** Sends spooled reports in order until the spool is empty or Redis fails; then retries with backoff. */
  private drain(): Promise<void> {
    if (this.draining) {
      // Reports spooled while a pass runs may come after its last look: run once more.
      this.drainRequested = true;
      return this.draining;
    }
    this.draining = (async () => {
      let emptied: boolean;
      do {
        this.drainRequested = false;
        emptied = await this.drainOnce();
        // After a failure the retry timer drains again; looping here would spin.
      } while (this.drainRequested && emptied && !this.closed);
    })().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** One pass; true when it emptied the spool, false when it gave up until the retry. */
  private async drainOnce(): Promise<boolean> {
    if (this.spool.size > 0) await this.firstConnection();
    while (this.spool.size > 0 && !this.closed) {
      const queue = this.readyQueue();
      if (!queue) {
        this.retryLater();
        return false;
      }
      const batch = this.spool.peek(100);
      try {
        await withTimeout(queue.addBulk(batch.map((report) => this.job(report))), this.options.sendTimeoutMs);
      } catch (error) {
        this.logger.warn({ err: error instanceof Error ? error.message : String(error), spooled: this.spool.size }, 'sending reports failed; kept in the spool');
        this.retryLater();
        return false;
      }
      await this.spool.remove(batch);
      this.sent += batch.length;
      this.retryDelay = this.options.retryMinMs;
    }
    return true;
  }

  /**
   * Right after `start()` the connection is still being made: the first drain gives it up
   * to the send timeout, so a report sent at once (and `flush()`) does not wait for a retry.
   */
  private firstConnection(): Promise<void> {
    const redis = this.redis;
    if (!redis || this.waitedForConnection || redis.status === 'ready') return Promise.resolve();
    this.waitedForConnection = true;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.sendTimeoutMs);
      redis.once('ready', done);
    });
  }

  private readyQueue(): Queue | undefined {
    if (this.redis?.status !== 'ready') return undefined;
    if (!this.queue) {
      this.queue = new Queue(this.credentials.queue, { connection: this.redis, prefix: this.credentials.prefix });
      this.queue.on('error', (error) => this.logger.debug({ err: error.message }, 'report queue error'));
    }
    return this.queue;
  }

  private job(report: UnsignedReport) {
    return {
      name: report.kind,
      data: signReport(report, this.credentials.reportKey),
      opts: {
        jobId: reportJobId(report.cluster, report.seq),
        // The hub retries reports it could not apply (Redis trouble on its side).
        attempts: 20,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: true,
        removeOnFail: { count: 1000 },
      },
    };
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.retryMaxMs);
  }

  /** Leaves out drift items (keeping the first ones) until the report fits the size limit. */
  private fitDrift(body: DriftBody): DriftBody {
    const budget = this.options.maxReportBytes - 1024;
    if (Buffer.byteLength(JSON.stringify(body)) <= budget) return body;
    const items: DriftItem[] = [];
    let size = 64;
    for (const item of body.items) {
      const itemSize = Buffer.byteLength(JSON.stringify(item)) + 1;
      if (size + itemSize > budget) break;
      items.push(item);
      size += itemSize;
    }
    this.logger.warn({ total: body.items.length, sent: items.length }, 'drift report truncated to fit the size limit');
    return { revision: body.revision, items, truncated: true };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
