import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GitErrorCode, GitSourceError } from './errors.js';
import { isObjectId } from './object-format.js';
import { indexPackFile } from './pack-indexer.js';
import { PackFile, type GitObject, type PackBytes, type PackPrimer } from './pack-file.js';
import { PackError, type ObjectType } from './pack-format.js';

/** Packs up to this size are read into memory when first used; larger ones are read piecewise. */
const IN_MEMORY_PACK_BYTES = 16 * 1024 * 1024;

export interface ReceiveOptions {
  /** Stops the indexing of the pack. */
  signal?: AbortSignal;
  /** An object the pack must hold (the commit asked for); a pack without it is refused. */
  mustHold?: string;
}

export interface ObjectStoreLimits {
  /** Objects larger than this are refused when a pack arrives and when it is read. */
  maxObjectBytes: number;
}

/**
 * A bare git repository on disk holding only packs, refs and the shallow list — the
 * layout native git reads too. Objects are looked up through the pack indexes.
 */
export class ObjectStore {
  private constructor(private readonly gitdir: string, private readonly limits: ObjectStoreLimits, private readonly packs: LoadedPack[]) {}

  /** Open the store at `gitdir`, creating an empty bare repository when missing. */
  static async open(gitdir: string, limits: ObjectStoreLimits): Promise<ObjectStore> {
    await mkdir(join(gitdir, 'objects', 'pack'), { recursive: true });
    await mkdir(join(gitdir, 'refs', 'heads'), { recursive: true });
    await writeIfMissing(join(gitdir, 'HEAD'), 'ref: refs/heads/main\n');
    await writeIfMissing(join(gitdir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
    const names = (await readdir(join(gitdir, 'objects', 'pack'))).filter((name) => /^pack-[0-9a-f]{40}\.idx$/.test(name)).sort();
    const packs = await Promise.all(names.map((name) => LoadedPack.load(join(gitdir, 'objects', 'pack', name), limits)));
    return new ObjectStore(gitdir, limits, packs);
  }

  get packCount(): number {
    return this.packs.length;
  }

  has(oid: string): boolean {
    return this.packs.some((pack) => pack.offsetOf(oid) !== undefined);
  }

  /** The object, inflated and resolved. @throws GitSourceError `AGENT_GIT_CACHE` when missing or unreadable. */
  async read(oid: string): Promise<GitObject> {
    const { pack, offset } = this.locate(oid);
    return this.damaged(oid, () => pack.file().object(offset));
  }

  /** Type and size without inflating whole objects. */
  async describe(oid: string): Promise<{ type: ObjectType; size: number }> {
    const { pack, offset } = this.locate(oid);
    return this.damaged(oid, () => pack.file().describe(offset));
  }

  /**
   * Receive a pack from `from`: `write` streams it into the temporary file it is given
   * (answering false when the server sent none); the pack is then checked, indexed and
   * stored next to the others. Nothing is stored unless the whole pack checks out, and the
   * temporary file never outlives the call. The objects indexing inflated stay in memory
   * until the next pack arrives, so reading the revision just fetched does not inflate
   * them again.
   * @throws GitSourceError `AGENT_GIT_INVALID_PACK` or `AGENT_GIT_TOO_LARGE` naming what is wrong
   */
  async receivePack(from: string, write: (file: string) => Promise<boolean>, options: ReceiveOptions = {}): Promise<void> {
    const { signal, mustHold } = options;
    const incoming = join(this.gitdir, 'objects', 'pack', `tmp_pack_${randomBytes(6).toString('hex')}`);
    try {
      if (!(await write(incoming))) return;
      const { packSha, idx, objectCount, primer } = await indexPackFile(incoming, { maxObjectBytes: this.limits.maxObjectBytes, signal })
        .catch((error: unknown) => { throw refusedPack(from, error); });
      if (mustHold !== undefined && !indexHolds(idx, objectCount, mustHold)) {
        throw refusedPack(from, new PackError(`the pack does not hold ${mustHold}, the commit asked for`));
      }
      if (objectCount === 0) return;
      const base = join(this.gitdir, 'objects', 'pack', `pack-${packSha}`);
      // The .idx appears last: a pack is only looked up once both files are complete.
      await rename(incoming, `${base}.pack`);
      await writeAtomically(`${base}.idx`, idx);
      for (const loaded of this.packs) loaded.release();
      const existing = this.packs.find((loaded) => loaded.idxPath === `${base}.idx`);
      const added = existing ?? await LoadedPack.load(`${base}.idx`, this.limits);
      if (!existing) this.packs.push(added);
      added.prime(primer);
    } finally {
      await rm(incoming, { force: true });
    }
  }

  async readRef(name: string): Promise<string | undefined> {
    try {
      return (await readFile(join(this.gitdir, name), 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async writeRef(name: string, oid: string): Promise<void> {
    await writeAtomically(join(this.gitdir, name), `${oid}\n`);
  }

  /** The shallow boundary commits (`shallow` file). */
  async readShallow(): Promise<Set<string>> {
    const text = await readFile(join(this.gitdir, 'shallow'), 'utf8').catch(() => '');
    // Only full ids: each one is sent back to the server in the next request.
    return new Set(text.split('\n').filter(isObjectId));
  }

  async writeShallow(oids: Set<string>): Promise<void> {
    await writeAtomically(join(this.gitdir, 'shallow'), [...oids].sort().map((oid) => `${oid}\n`).join(''));
  }

  /** A pack that cannot be read or inflated is a damaged cache, not a bug. */
  private async damaged<T>(oid: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new GitSourceError(GitErrorCode.Cache, `Object ${oid} cannot be read from the git cache ${this.gitdir}: ${(error as Error).message}`, {
        hint: 'The cache is damaged; delete the cache directory so it is fetched afresh.', cause: error,
      });
    }
  }

  private locate(oid: string): { pack: LoadedPack; offset: number } {
    for (const pack of this.packs) {
      const offset = pack.offsetOf(oid);
      if (offset !== undefined) return { pack, offset };
    }
    throw new GitSourceError(GitErrorCode.Cache, `Object ${oid} is not in the git cache ${this.gitdir}`, {
      hint: 'The cache lost objects it listed; delete the cache directory so it is fetched afresh.',
    });
  }
}

/** One pack's index in memory, and its objects read on demand. */
class LoadedPack {
  private reader: PackFile | undefined;

  private constructor(
    readonly idxPath: string,
    private readonly packPath: string,
    private readonly packSize: number,
    /** fanout[b]: how many ids start with a byte <= b (from the index). */
    private readonly fanout: Uint32Array,
    /** Object ids, 20 bytes each, sorted. */
    private readonly oids: Buffer,
    /** Pack offset of each object, in the order of `oids`. */
    private readonly offsets: number[],
    /** Every object's offset, ascending, then the trailer's: the end of each object is the next offset. */
    private readonly boundaries: number[],
    private readonly limits: ObjectStoreLimits,
  ) {}

  static async load(idxPath: string, limits: ObjectStoreLimits): Promise<LoadedPack> {
    const idx = await readFile(idxPath);
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) throw new Error(`${idxPath} is not a version 2 pack index`);
    const count = idx.readUInt32BE(8 + 255 * 4);
    const oidsStart = 8 + 256 * 4;
    const offsetsStart = oidsStart + count * 24;
    const largeStart = offsetsStart + count * 4;
    const offsets = Array.from({ length: count }, (_, i) => {
      const small = idx.readUInt32BE(offsetsStart + i * 4);
      return small & 0x80000000 ? Number(idx.readBigUInt64BE(largeStart + (small & 0x7fffffff) * 8)) : small;
    });
    const packPath = idxPath.replace(/\.idx$/, '.pack');
    const packSize = (await stat(packPath)).size;
    const boundaries = [...offsets].sort((a, b) => a - b);
    boundaries.push(packSize - 20);
    const fanout = Uint32Array.from({ length: 256 }, (_, i) => idx.readUInt32BE(8 + i * 4));
    return new LoadedPack(idxPath, packPath, packSize, fanout, Buffer.from(idx.subarray(oidsStart, oidsStart + count * 20)), offsets, boundaries, limits);
  }

  offsetOf(oid: string): number | undefined {
    const wanted = Buffer.from(oid, 'hex');
    // The fan-out table narrows the search to ids sharing the first byte.
    const first = wanted[0]!;
    let low = first === 0 ? 0 : this.fanout[first - 1]!;
    let high = this.fanout[first]! - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = this.oids.compare(wanted, 0, 20, middle * 20, middle * 20 + 20);
      if (order === 0) return this.offsets[middle];
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }

  /** Serve reads with the objects indexing inflated and resolved at hand. */
  prime(primer: PackPrimer): void {
    this.reader = this.newReader(primer);
  }

  /** Drop the pack's bytes and cached objects; they are read again when needed. */
  release(): void {
    this.reader = undefined;
  }

  file(): PackFile {
    this.reader ??= this.newReader();
    return this.reader;
  }

  private newReader(primed?: PackPrimer): PackFile {
    return new PackFile(this.bytes(), {
      endOf: (offset) => this.endOf(offset), offsetOf: (oid) => this.offsetOf(oid), maxObjectBytes: this.limits.maxObjectBytes, primed,
    });
  }

  private endOf(offset: number): number {
    let low = 0;
    let high = this.boundaries.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.boundaries[middle]! <= offset) low = middle + 1;
      else high = middle;
    }
    return this.boundaries[low]!;
  }

  private bytes(): PackBytes {
    const path = this.packPath;
    if (this.packSize <= IN_MEMORY_PACK_BYTES) {
      let loaded: Promise<Buffer> | undefined;
      return {
        async read(start, end) {
          loaded ??= readFile(path);
          return (await loaded).subarray(start, end);
        },
      };
    }
    // Big packs: open, read and close per object, so no descriptor outlives a reader.
    return {
      async read(start, end) {
        const handle = await open(path, 'r');
        try {
          const buffer = Buffer.allocUnsafe(end - start);
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
          return buffer.subarray(0, bytesRead);
        } finally {
          await handle.close();
        }
      },
    };
  }
}

/** Whether a version-2 index lists `oid`. */
function indexHolds(idx: Buffer, count: number, oid: string): boolean {
  const wanted = Buffer.from(oid, 'hex');
  const oids = idx.subarray(8 + 256 * 4, 8 + 256 * 4 + count * 20);
  for (let i = 0; i < count; i += 1) if (oids.compare(wanted, 0, 20, i * 20, i * 20 + 20) === 0) return true;
  return false;
}

/** A received pack failed its checks: say what the server sent wrong, in the server's name. */
function refusedPack(from: string, error: unknown): unknown {
  if (!(error instanceof PackError)) return error;
  if (error.tooLarge) {
    return new GitSourceError(GitErrorCode.TooLarge, `${from} sent a pack the agent refuses: ${error.message}`, {
      cause: error, hint: 'Keep large files out of the fleet repository, or raise maxObjectBytes if the agent has the memory for them.',
    });
  }
  return new GitSourceError(GitErrorCode.InvalidPack, `${from} sent an invalid pack: ${error.message}`, {
    cause: error, hint: 'The server or something on the path to it sent corrupt or forged data; nothing was stored and the last good revision stays applied. Check the server, and use https://.',
  });
}

async function writeIfMissing(path: string, content: string): Promise<void> {
  await writeFile(path, content, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

async function writeAtomically(path: string, content: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
