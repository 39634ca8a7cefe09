import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ReportKind, type Logger, type UnsignedReport } from '@netfleet/shared';
import { writeFileDurably } from './durable-file.js';

/**
 * The reporter's write-ahead log: every report is appended (and fsynced) before it is sent,
 * and removed once the hub accepted it, so nothing is lost while the hub is away or when the
 * agent restarts. One JSON report per line, oldest first.
 *
 * Bounded: when full, the oldest heartbeat is dropped (a newer one carries the same kind of
 * summary). Sync and drift reports are never dropped; if only those remain, the spool grows
 * past its bound and says so in the log.
 */
export class Spool {
  private entries: UnsignedReport[] = [];
  private handle: FileHandle | undefined;
  /** File operations run one at a time: an append must never meet a rewrite. */
  private operations: Promise<unknown> = Promise.resolve();
  /** Heartbeats dropped to stay within the bound, since the spool was opened. */
  dropped = 0;

  private constructor(private readonly file: string, private readonly maxEntries: number, private readonly logger: Logger) {}

  static async open(dir: string, maxEntries: number, logger: Logger): Promise<Spool> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new Spool(join(dir, 'spool.jsonl'), maxEntries, logger);
    await spool.load();
    return spool;
  }

  private async load(): Promise<void> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const lines = text.split('\n').filter((line) => line.length > 0);
    for (const [index, line] of lines.entries()) {
      try {
        this.entries.push(JSON.parse(line) as UnsignedReport);
      } catch {
        // Only the last line can be torn (a crash during append); anything else is corruption.
        if (index !== lines.length - 1) throw new Error(`corrupt spool ${this.file} at line ${index + 1}`);
        this.logger.warn({ file: this.file }, 'dropped a torn last line of the spool');
      }
    }
    await this.rewrite();
  }

  get size(): number {
    return this.entries.length;
  }

  /** The oldest `count` reports, in order. */
  peek(count: number): UnsignedReport[] {
    return this.entries.slice(0, count);
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.operations.then(operation);
    this.operations = result.catch(() => undefined);
    return result;
  }

  /** Appends a report durably (fsync) before returning. */
  append(report: UnsignedReport): Promise<void> {
    return this.exclusive(() => this.appendNow(report));
  }

  private async appendNow(report: UnsignedReport): Promise<void> {
    if (this.entries.length >= this.maxEntries) {
      const oldestHeartbeat = this.entries.findIndex((entry) => entry.kind === ReportKind.Heartbeat);
      if (oldestHeartbeat >= 0) {
        this.entries.splice(oldestHeartbeat, 1);
        this.dropped += 1;
        this.entries.push(report);
        await this.rewrite();
        return;
      }
      this.logger.warn({ size: this.entries.length, max: this.maxEntries }, 'spool over its bound: only sync and drift reports left, none dropped');
    }
    this.entries.push(report);
    this.handle ??= await open(this.file, 'a', 0o600);
    await this.handle.appendFile(`${JSON.stringify(report)}\n`);
    await this.handle.datasync();
  }

  /**
   * Removes sent reports (by seq: a heartbeat of the batch may have been dropped meanwhile)
   * and rewrites the file.
   */
  remove(sent: readonly UnsignedReport[]): Promise<void> {
    const seqs = new Set(sent.map((report) => report.seq));
    return this.exclusive(async () => {
      if (seqs.size === 0) return;
      this.entries = this.entries.filter((entry) => !seqs.has(entry.seq));
      await this.rewrite();
    });
  }

  close(): Promise<void> {
    return this.exclusive(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private async rewrite(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    await writeFileDurably(this.file, this.entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }
}
