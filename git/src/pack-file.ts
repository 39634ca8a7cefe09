import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import {
  applyDelta, deltaTargetSize, MAX_HEADER_BYTES, OBJ_OFS_DELTA, OBJ_REF_DELTA, parseObjectHeader, typeName,
  type ObjectType, type PackObjectHeader,
} from './pack-format.js';

export interface GitObject {
  type: ObjectType;
  content: Buffer;
}

/** Where a pack's bytes come from: memory for small packs, positional file reads for big ones. */
export interface PackBytes {
  read(start: number, end: number): Promise<Buffer>;
}

export function packInMemory(pack: Buffer): PackBytes {
  return { read: async (start, end) => pack.subarray(start, end) };
}

/** Resolved objects kept to serve as delta bases; bounded so memory does not grow with the pack. */
const BASE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Reads objects out of one pack, resolving delta chains. Needs to know where each
 * object ends (`endOf`), which the pack index gives.
 */
export class PackFile {
  private readonly bases = new Map<number, GitObject>();
  private cachedBytes = 0;

  constructor(
    private readonly bytes: PackBytes,
    private readonly endOf: (offset: number) => number,
    /** Offset of an object of this pack by id, for ref-deltas. */
    private readonly offsetOf: (oid: string) => number | undefined,
    /** Inflated data already at hand (the indexer's first pass), by offset. */
    private readonly inflated: ReadonlyMap<number, Buffer> = new Map(),
  ) {}

  /** The object at `offset`, inflated and with deltas applied. */
  async object(offset: number): Promise<GitObject> {
    const cached = this.bases.get(offset);
    if (cached) {
      // Refresh its place in the least-recently-used order.
      this.bases.delete(offset);
      this.bases.set(offset, cached);
      return cached;
    }
    const { header, data } = await this.raw(offset);
    const result = header.typeCode === OBJ_OFS_DELTA || header.typeCode === OBJ_REF_DELTA
      ? await this.resolveDelta(offset, header.baseOffset, header.baseOid, data)
      : { type: typeName(header.typeCode), content: data };
    this.remember(offset, result);
    return result;
  }

  /** The object's type and inflated size; whole objects and delta bases are not inflated for it. */
  async describe(offset: number): Promise<{ type: ObjectType; size: number }> {
    const cached = this.bases.get(offset);
    if (cached) return { type: cached.type, size: cached.content.length };
    const header = await this.header(offset);
    if (header.typeCode !== OBJ_OFS_DELTA && header.typeCode !== OBJ_REF_DELTA) return { type: typeName(header.typeCode), size: header.size };
    const { data } = await this.raw(offset);
    return { type: await this.deltaType(offset, header), size: deltaTargetSize(data) };
  }

  /** A delta's type is its chain's root object's: found by walking headers only. */
  private async deltaType(offset: number, header: PackObjectHeader): Promise<ObjectType> {
    let current = header;
    let at = offset;
    while (current.typeCode === OBJ_OFS_DELTA || current.typeCode === OBJ_REF_DELTA) {
      at = this.baseOffset(at, current.baseOffset, current.baseOid);
      const cached = this.bases.get(at);
      if (cached) return cached.type;
      current = await this.header(at);
    }
    return typeName(current.typeCode);
  }

  private async header(offset: number): Promise<PackObjectHeader> {
    return parseObjectHeader(await this.bytes.read(offset, Math.min(offset + MAX_HEADER_BYTES, this.endOf(offset))), offset, offset);
  }

  private async raw(offset: number): Promise<{ header: PackObjectHeader; data: Buffer }> {
    const known = this.inflated.get(offset);
    if (known) return { header: await this.header(offset), data: known };
    const compressed = await this.bytes.read(offset, this.endOf(offset));
    const header = parseObjectHeader(compressed, offset, offset);
    const data = inflateSync(compressed.subarray(header.dataOffset - offset), { chunkSize: outputChunk(header.size) });
    if (data.length !== header.size) throw new Error(`pack object at ${offset} inflates to ${data.length} bytes, header says ${header.size}`);
    return { header, data };
  }

  private async resolveDelta(offset: number, baseOffset: number | undefined, baseOid: string | undefined, delta: Buffer): Promise<GitObject> {
    const base = await this.object(this.baseOffset(offset, baseOffset, baseOid));
    return { type: base.type, content: applyDelta(base.content, delta) };
  }

  private baseOffset(offset: number, baseOffset: number | undefined, baseOid: string | undefined): number {
    const found = baseOffset ?? (baseOid === undefined ? undefined : this.offsetOf(baseOid));
    if (found === undefined) throw new Error(`delta at ${offset} refers to ${baseOid}, which is not in the pack`);
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

/** zlib output chunk for an object of `size` bytes: one chunk, never below zlib's minimum. */
export function outputChunk(size: number): number {
  return Math.max(64, size + 1);
}

/** The git object id of an object. */
export function objectId(object: GitObject): string {
  return createHash('sha1').update(`${object.type} ${object.content.length}\0`).update(object.content).digest('hex');
}
