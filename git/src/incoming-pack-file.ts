import { open, type FileHandle } from 'node:fs/promises';
import { GitErrorCode, GitSourceError } from './errors.js';

/** Bytes written to the pack file at once. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/** Writes a pack to its file as it arrives, refusing it once it passes `maxBytes`. */
export class IncomingPackFile {
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(private readonly file: string, private readonly maxBytes: number, private readonly from: string) {}

  async write(data: Buffer): Promise<void> {
    if (this.written + this.pendingBytes + data.length > this.maxBytes) {
      throw new GitSourceError(GitErrorCode.TooLarge, `${this.from} sent a pack larger than the limit of ${this.maxBytes} bytes`, {
        hint: 'Keep large files out of the fleet repository, or raise maxPackBytes if the cache volume has room.',
      });
    }
    this.handle ??= await open(this.file, 'w');
    // Packets are 64 KiB at most: copy them out of the reader's buffer and write in batches.
    this.pending.push(Buffer.from(data));
    this.pendingBytes += data.length;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) await this.flush();
  }

  async close(): Promise<void> {
    try {
      if (this.pendingBytes > 0) await this.flush();
    } finally {
      await this.handle?.close();
      this.handle = undefined;
    }
  }

  private async flush(): Promise<void> {
    if (!this.handle) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
    this.written += data.length;
  }
}
