import {
  MAX_REPORTS_BODY_BYTES, MAX_REPORTS_PER_REQUEST, MAX_REPORT_BYTES, PROTOCOL_VERSION, ReportKind, createLogger, hideSecretValues, signReport,
  type Credentials, type DriftBody, type DriftItem, type HeartbeatBody, type LinkBody, type Logger, type SyncBody,
  type UnsignedReport,
} from '@netfleet/shared';
import { ReportSender } from './report-sender.js';
import { SeqStore } from './seq-store.js';
import { Spool } from './spool.js';

/** What a heartbeat says besides the agent version (which the reporter adds). */
export type HeartbeatSummary = Omit<HeartbeatBody, 'agentVersion'>;

export interface ReporterOptions {
  /** The cluster's credentials from registration (cluster, report key, API token). */
  credentials: Credentials;
  /** Base URL of the hub API (`https://...`); reports are posted to `/api/v1/reports`. */
  hubUrl: string;
  /** PEM CA certificates trusted for the hub, besides the system's. @defaultValue none */
  hubCa?: string;
  /**
   * Reads the credentials again (e.g. from the credentials file) when the hub refuses the
   * token (401/403), so credentials rotated meanwhile are picked up. @defaultValue none
   */
  reloadCredentials?: () => Promise<Credentials>;
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

type ResolvedOptions = Required<Omit<ReporterOptions, 'logger' | 'hubCa' | 'reloadCredentials'>>
  & Pick<ReporterOptions, 'hubCa' | 'reloadCredentials'> & { logger: Logger };

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
  /** Reports the hub accepted. */
  sent: number;
  /** Reports waiting in the spool. */
  spooled: number;
  /** Heartbeats dropped because the spool was full. */
  dropped: number;
  /** The last sequence number handed out. */
  lastSeq: number;
}

type Coalesced = { kind: ReportKind.Sync; body: SyncBody } | { kind: ReportKind.Drift; body: DriftBody } | { kind: ReportKind.Link; body: LinkBody };

/**
 * The agent's side of the report channel. Reports are numbered (never reusing a number),
 * written to the spool, then posted in batches to the hub API, signed, with the cluster's
 * token; the hub queues each as job `<cluster>.<seq>`, so a resend is idempotent. While the
 * hub is unreachable or behind (429, honouring Retry-After) reports stay spooled and go out
 * in order later. Sync, drift and link reports are sent on change, bursts coalesced;
 * heartbeats go out on a timer with the latest summary.
 *
 * The API: `sync(body)`, `drift(items, revision)`, `heartbeat(summary)`, `start()`, `flush()`,
 * `close()`.
 */
export class Reporter {
  private readonly options: ResolvedOptions;
  private readonly logger: Logger;
  private credentials: Credentials;
  private readonly sender: ReportSender;
  /** Reports per request; halved while the hub refuses a batch as a whole, to find the report it refuses. */
  private batchLimit = MAX_REPORTS_PER_REQUEST;
  private summary: HeartbeatSummary | undefined;
  private lastDrift: string | undefined;
  private readonly pending = new Map<ReportKind, Coalesced>();
  private coalesceTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private draining: Promise<void> | undefined;
  private drainRequested = false;
  /** Serializes spool writes so reports keep their seq order. */
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;
  private sent = 0;

  private constructor(options: ResolvedOptions, private readonly spool: Spool, private readonly seqs: SeqStore) {
    this.options = options;
    this.credentials = options.credentials;
    this.logger = this.options.logger.child({ cluster: options.credentials.cluster });
    this.retryDelay = this.options.retryMinMs;
    this.sender = new ReportSender({ hubUrl: options.hubUrl, ca: options.hubCa, timeoutMs: options.sendTimeoutMs });
  }

  /** Opens the spool and sequence file (reports left from a previous run are sent first). */
  static async open(options: ReporterOptions): Promise<Reporter> {
    const resolved = resolveReporterOptions(options);
    const spool = await Spool.open(resolved.spoolDir, resolved.spoolMaxEntries, resolved.logger);
    const seqs = await SeqStore.open(resolved.spoolDir);
    return new Reporter(resolved, spool, seqs);
  }

  /** Sends what the spool holds and starts the heartbeat timer. */
  start(): void {
    void this.drain();
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
    return { sent: this.sent, spooled: this.spool.size, dropped: this.spool.dropped, lastSeq: this.seqs.last };
  }

  /** Spools whatever is being coalesced and tries to send everything now. */
  async flush(): Promise<void> {
    await this.spoolPending();
    await this.drain();
  }

  /** Stops timers, spools pending reports and closes the connections; unsent reports stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeatTimer);
    await this.flush().catch((error: unknown) => this.logger.warn({ err: String(error) }, 'final flush failed; reports stay spooled'));
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.writes;
    await this.draining;
    this.sender.close();
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

  /** Sends spooled reports in order until the spool is empty or the hub fails; then retries with backoff. */
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
    while (this.spool.size > 0 && !this.closed) {
      const { reports, body } = this.nextBatch();
      const outcome = await this.sender.send(body, this.credentials.apiToken);
      if (outcome.kind === 'retry') {
        const credentialsRefused = outcome.status === 401 || outcome.status === 403;
        this.logger[credentialsRefused ? 'error' : 'warn']({
          err: outcome.message, spooled: this.spool.size, ...(outcome.afterMs === undefined ? {} : { retryAfterMs: outcome.afterMs }),
          ...(credentialsRefused ? { hint: 'the hub refuses this cluster\'s token: register again or rotate the credentials' } : {}),
        }, 'sending reports failed; kept in the spool');
        if (credentialsRefused) await this.reloadCredentials();
        this.retryLater(outcome.afterMs);
        return false;
      }
      if (outcome.kind === 'refused' && reports.length > 1) {
        // One report makes the batch unacceptable: send fewer until it is found alone.
        this.batchLimit = Math.max(1, Math.floor(reports.length / 2));
        continue;
      }
      if (outcome.kind === 'refused') {
        this.logger.error({ seq: reports[0]!.seq, kind: reports[0]!.kind, err: outcome.message }, 'the hub refuses this report; it is dropped');
      } else {
        for (const refusal of outcome.refused) this.logger.error({ seq: refusal.seq, reason: refusal.reason }, 'the hub refused a report; it is dropped');
        this.sent += outcome.queued;
        this.batchLimit = Math.min(MAX_REPORTS_PER_REQUEST, this.batchLimit * 2);
      }
      await this.spool.remove(reports);
      this.retryDelay = this.options.retryMinMs;
    }
    return true;
  }

  /** Picks up credentials rotated since they were loaded; the spooled reports are signed with them when sent. */
  private async reloadCredentials(): Promise<void> {
    if (!this.options.reloadCredentials) return;
    try {
      const reloaded = await this.options.reloadCredentials();
      if (reloaded.cluster === this.credentials.cluster && reloaded.apiToken !== this.credentials.apiToken) {
        this.updateCredentials(reloaded);
        this.retryDelay = this.options.retryMinMs;
        this.logger.info({ keyGeneration: reloaded.keyGeneration }, 'using the credentials rotated meanwhile');
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'could not read the credentials again');
    }
  }

  /** The oldest spooled reports that fit one request, signed, and the request body. */
  private nextBatch(): { reports: UnsignedReport[]; body: string } {
    const reports: UnsignedReport[] = [];
    const texts: string[] = [];
    let size = '{"reports":[]}'.length;
    for (const report of this.spool.peek(this.batchLimit)) {
      const text = JSON.stringify(signReport(report, this.credentials.reportKey));
      const length = Buffer.byteLength(text) + 1;
      if (reports.length > 0 && size + length > MAX_REPORTS_BODY_BYTES) break;
      reports.push(report);
      texts.push(text);
      size += length;
    }
    return { reports, body: `{"reports":[${texts.join(',')}]}` };
  }

  /**
   * Drains again after the backoff delay, or after the hub's Retry-After when it gave one
   * (plus up to half of it again, so agents told the same do not all come back at once).
   */
  private retryLater(retryAfterMs?: number): void {
    if (this.closed || this.retryTimer) return;
    const delay = retryAfterMs === undefined ? this.retryDelay : Math.max(this.retryDelay, retryAfterMs * (1 + Math.random() / 2));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delay);
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
