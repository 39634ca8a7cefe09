import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { inflateExactly, type PackBytes } from './bounded-inflate.js';
import {
  applyDelta, deltaTargetSize, isDelta, MAX_DELTA_CHAIN, MAX_HEADER_BYTES, PackError, parseObjectHeader, typeName,
  type ObjectType, type PackObjectHeader,
} from './pack-format.js';

export type { PackBytes } from './bounded-inflate.js';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

export function packInMemory(pack: Buffer): PackBytes {
  return { read: async (start, end) => pack.subarray(start, end) };
}

/** Bytes read from a pack file at once; objects in a window are served from memory. */
const FILE_WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * Positional reads of an open pack file through one window of {@link FILE_WINDOW_BYTES}, so
 * reading objects in order costs few system calls and memory stays bounded.
 */
export function packFromFile(handle: FileHandle, size: number): PackBytes {
  let window = Buffer.alloc(0);
  let windowStart = 0;
  return {
    async read(start, end) {
      const stop = Math.min(end, size);
      if (start >= windowStart && stop <= windowStart + window.length) return window.subarray(start - windowStart, stop - windowStart);
      const length = Math.max(0, Math.min(size, start + Math.max(stop - start, FILE_WINDOW_BYTES)) - start);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, start);
      // A read longer than the window (one big object) is not kept.
      if (length <= FILE_WINDOW_BYTES) {
        window = buffer.subarray(0, bytesRead);
        windowStart = start;
      }
      return buffer.subarray(0, Math.max(0, Math.min(bytesRead, stop - start)));
    },
  };
}

/** Resolved objects kept to serve as delta bases; bounded so memory does not grow with the pack. */
const BASE_CACHE_BYTES = 16 * 1024 * 1024;

export interface PackFileOptions {
  /** Where the object at an offset ends (the next object's offset), from the pack index. */
  endOf: (offset: number) => number;
  /** Offset of an object of this pack by id, for ref-deltas. */
  offsetOf: (oid: string) => number | undefined;
  /** Objects (and delta results) larger than this are refused, whatever their header says. */
  maxObjectBytes: number;
  /** What reading the pack before (indexing it) left at hand. */
  primed?: PackPrimer;
}

/** Objects at hand from an earlier reader of the same pack, by offset. */
export interface PackPrimer {
  /** Inflated data: objects, or delta data for deltas. */
  inflated: ReadonlyMap<number, Buffer>;
  /** Objects with their deltas applied (a bounded cache). */
  resolved: ReadonlyMap<number, GitObject>;
}

/** A ref-delta's base is not (yet) known: while indexing, it may be a delta resolved later. */
export class MissingBaseError extends PackError {}

/** Reads objects out of one pack, resolving delta chains. */
export class PackFile {
  private readonly bases = new Map<number, GitObject>();
  private cachedBytes = 0;
  private readonly inflated: ReadonlyMap<number, Buffer>;

  constructor(private readonly bytes: PackBytes, private readonly options: PackFileOptions) {
    this.inflated = options.primed?.inflated ?? new Map();
    for (const [offset, object] of options.primed?.resolved ?? []) this.remember(offset, object);
  }

  /** What this reader has at hand, to prime another reader of the same pack. */
  primer(): PackPrimer {
    return { inflated: this.inflated, resolved: new Map(this.bases) };
  }

  /**
   * The object at `offset`, inflated and with deltas applied. The chain is walked
   * iteratively, at most git's chain depth: a cycle (only ref-deltas can make one, an
   * offset delta's base lies before it) ends there too.
   */
  async object(offset: number): Promise<GitObject> {
    const deltas: { offset: number; data: Buffer }[] = [];
    let at = offset;
    let object = this.cached(at);
    while (!object) {
      if (deltas.length >= MAX_DELTA_CHAIN) {
        throw new PackError(`the delta chain of the object at pack offset ${offset} loops or is longer than ${MAX_DELTA_CHAIN}`);
      }
      const { header, data } = await this.raw(at);
      if (!isDelta(header)) {
        object = { type: typeName(header.typeCode), content: data };
        this.remember(at, object);
        break;
      }
      deltas.push({ offset: at, data });
      at = this.baseOffset(at, header);
      object = this.cached(at);
    }
    for (let i = deltas.length - 1; i >= 0; i -= 1) {
      const delta = deltas[i]!;
      object = { type: object.type, content: applyDelta(object.content, delta.data, this.options.maxObjectBytes) };
      this.remember(delta.offset, object);
    }
    return object;
  }

  /** The object's type and size; whole objects and delta bases are not inflated for it. */
  async describe(offset: number): Promise<{ type: ObjectType; size: number }> {
    const cached = this.bases.get(offset);
    if (cached) return { type: cached.type, size: cached.content.length };
    const header = await this.header(offset);
    if (!isDelta(header)) return { type: typeName(header.typeCode), size: header.size };
    const { data } = await this.raw(offset);
    return { type: await this.deltaType(offset, header), size: deltaTargetSize(data) };
  }

  /** A delta's type is its chain's root object's: found by walking headers only. */
  private async deltaType(offset: number, header: PackObjectHeader): Promise<ObjectType> {
    let current = header;
    let at = offset;
    for (let depth = 0; isDelta(current); depth += 1) {
      if (depth > MAX_DELTA_CHAIN) throw new PackError(`the delta chain of the object at pack offset ${offset} loops or is longer than ${MAX_DELTA_CHAIN}`);
      at = this.baseOffset(at, current);
      const cached = this.bases.get(at);
      if (cached) return cached.type;
      current = await this.header(at);
    }
    return typeName(current.typeCode);
  }

  private cached(offset: number): GitObject | undefined {
    const cached = this.bases.get(offset);
    if (cached) {
      // Refresh its place in the least-recently-used order.
      this.bases.delete(offset);
      this.bases.set(offset, cached);
    }
    return cached;
  }

  private async header(offset: number): Promise<PackObjectHeader> {
    return parseObjectHeader(await this.bytes.read(offset, Math.min(offset + MAX_HEADER_BYTES, this.options.endOf(offset))), offset, offset);
  }

  private async raw(offset: number): Promise<{ header: PackObjectHeader; data: Buffer }> {
    const header = await this.header(offset);
    const known = this.inflated.get(offset);
    if (known) return { header, data: known };
    checkObjectSize(header, offset, this.options.maxObjectBytes);
    const { data } = await inflateExactly(this.bytes, header.dataOffset, this.options.endOf(offset), header.size, `the object at pack offset ${offset}`);
    return { header, data };
  }

  private baseOffset(offset: number, header: PackObjectHeader): number {
    const found = header.baseOffset ?? (header.baseOid === undefined ? undefined : this.options.offsetOf(header.baseOid));
    if (found === undefined) throw new MissingBaseError(`the delta at pack offset ${offset} refers to ${header.baseOid}, which is not in the pack`);
    return found;
  }

  private remember(offset: number, object: GitObject): void {
    if (object.content.length > BASE_CACHE_BYTES / 4) return;
    this.bases.set(offset, object);
    this.cachedBytes += object.content.length;
    for (const [oldest, evicted] of this.bases) {
      if (this.cachedBytes <= BASE_CACHE_BYTES) break;
      this.bases.delete(oldest);
      this.cachedBytes -= evicted.content.length;
    }
  }
}

/** Refuse an object whose header claims more than the limit, before inflating it. */
export function checkObjectSize(header: PackObjectHeader, offset: number, maxObjectBytes: number): void {
  if (header.size > maxObjectBytes) {
    throw new PackError(`the ${isDelta(header) ? 'delta' : 'object'} at pack offset ${offset} claims ${header.size} bytes, above the limit of ${maxObjectBytes}`, true);
  }
}

/** The git object id of an object. */
export function objectId(object: GitObject): string {
  return createHash('sha1').update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
}
