import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';

/**
 * Report sequence numbers that survive restarts and are never reused. Numbers are reserved
 * on disk in blocks, so one fsync covers many reports; after a restart numbering resumes
 * above the last reserved block (a gap, never a reuse).
 */
export class SeqStore {
  private constructor(
    private readonly file: string,
    private current: number,
    private reserved: number,
    private readonly block: number,
  ) {}

  static async open(dir: string, block = 64): Promise<SeqStore> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'seq');
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '0';
      throw error;
    });
    const reserved = Number.parseInt(text.trim(), 10);
    if (!Number.isSafeInteger(reserved) || reserved < 0) throw new Error(`corrupt sequence file ${file}: ${JSON.stringify(text)}`);
    return new SeqStore(file, reserved, reserved, block);
  }

  async next(): Promise<number> {
    if (this.current + 1 > this.reserved) {
      this.reserved = this.current + this.block;
      await writeFileDurably(this.file, `${this.reserved}\n`);
    }
    this.current += 1;
    return this.current;
  }

  /** The last number handed out. */
  get last(): number {
    return this.current;
  }
}
