import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { inflateExactly, inflateInto, ONE_CALL_BYTES, type PackBytes } from './bounded-inflate.js';
import { checkObjectFormat } from './object-format.js';
import { isDelta, MAX_DELTA_CHAIN, MAX_HEADER_BYTES, PackError, parseObjectHeader, typeName, type PackObjectHeader } from './pack-format.js';
import { checkObjectSize, MissingBaseError, objectId, PackFile, packFromFile, type PackPrimer } from './pack-file.js';

const BLOB = 3;
/** Inflated objects kept from the first pass for delta resolution, at most this many bytes. */
const KEEP_INFLATED_BYTES = 16 * 1024 * 1024;
/** Work done between two turns of the event loop, so timers, probes and watches keep running. */
const WORK_SLICE_MS = 10;
/** Bytes hashed or checksummed per read. */
const READ_STEP_BYTES = 1024 * 1024;

export interface IndexPackOptions {
  /** Objects, deltas and delta results larger than this are refused. */
  maxObjectBytes: number;
  /** Stops indexing (between two slices of work) when aborted. */
  signal?: AbortSignal;
}

/** A pack checked and indexed: what `git index-pack` produces. */
export interface IndexedPack {
  /** Hex SHA-1 of the pack, which names its files. */
  packSha: string;
  /** The `.idx` file (version 2). */
  idx: Buffer;
  objectCount: number;
  /** Objects indexing inflated and resolved, to prime the next reader of the pack. */
  primer: PackPrimer;
}

/** {@link indexPack} of a pack file. */
export async function indexPackFile(path: string, options: IndexPackOptions): Promise<IndexedPack> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return await indexPack(packFromFile(handle, size), size, options);
  } finally {
    await handle.close();
  }
}

/**
 * Check a received pack (signature, trailer checksum, every object's size and shape,
 * every delta) and build its version-2 index, as `git index-pack --strict` does. Memory
 * stays within the object size limit plus bounded caches, and the work is cut into
 * slices so the event loop keeps turning.
 * @throws PackError saying what is wrong with the pack
 */
export async function indexPack(bytes: PackBytes, size: number, options: IndexPackOptions): Promise<IndexedPack> {
  const pause = cooperative(options.signal);
  if (size < 32) throw new PackError(`the pack is ${size} bytes long, shorter than a pack header and checksum`);
  const head = await bytes.read(0, 12);
  if (head.toString('latin1', 0, 4) !== 'PACK') throw new PackError('not a git pack (missing PACK signature)');
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new PackError(`unsupported pack version ${version}`);
  const objectCount = head.readUInt32BE(8);
  const trailer = size - 20;
  const packSha = await checksum(bytes, trailer, pause);
  if (packSha !== (await bytes.read(trailer, size)).toString('hex')) throw new PackError('pack checksum mismatch (truncated or corrupted transfer)');

  const entries: { offset: number; end: number; crc: number; oid: string | undefined }[] = [];
  /** Each delta's base: its offset (ofs-delta) or id (ref-delta). */
  const baseOf = new Map<number, number | string>();
  const inflated = new Map<number, Buffer>();
  let keptBytes = 0;
  let offset = 12;
  for (let i = 0; i < objectCount; i += 1) {
    await pause();
    if (offset >= trailer) throw new PackError(`the pack ends after ${i} of the ${objectCount} objects it announces`);
    const header = parseObjectHeader(await bytes.read(offset, Math.min(offset + MAX_HEADER_BYTES, trailer)), offset, offset);
    checkObjectSize(header, offset, options.maxObjectBytes);
    const { end, oid, data } = await readEntry(bytes, header, offset, trailer);
    if (isDelta(header)) baseOf.set(offset, header.baseOffset ?? header.baseOid!);
    entries.push({ offset, end, crc: await crcOf(bytes, offset, end), oid });
    // Kept for resolving deltas without inflating again, up to a memory budget.
    if (data && keptBytes + data.length <= KEEP_INFLATED_BYTES) {
      inflated.set(offset, data);
      keptBytes += data.length;
    }
    offset = end;
  }
  if (offset !== trailer) throw new PackError(`the pack has ${trailer - offset} unexpected bytes after its ${objectCount} objects`);

  const endOf = new Map(entries.map((entry) => [entry.offset, entry.end]));
  const offsetOf = new Map<string, number>();
  for (const entry of entries) if (entry.oid) offsetOf.set(entry.oid, entry.offset);
  const reader = new PackFile(bytes, {
    endOf: (at) => endOf.get(at) ?? trailer, offsetOf: (oid) => offsetOf.get(oid), maxObjectBytes: options.maxObjectBytes, primed: { inflated, resolved: new Map() },
  });
  const depths = new ChainDepths(baseOf, offsetOf);
  // A ref-delta's base may itself be a delta further on: repeat until every id is known.
  let unresolved = entries.filter((entry) => !entry.oid);
  while (unresolved.length > 0) {
    const pending: typeof unresolved = [];
    for (const entry of unresolved) {
      await pause();
      try {
        const object = await reader.object(entry.offset);
        depths.check(entry.offset);
        checkObjectFormat(object.type, object.content);
        entry.oid = objectId(object);
        offsetOf.set(entry.oid, entry.offset);
      } catch (error) {
        if (!(error instanceof MissingBaseError)) throw error;
        pending.push(entry);
      }
    }
    if (pending.length === unresolved.length) throw new PackError(`${pending.length} deltas refer to objects that are not in the pack (or to each other in a cycle)`);
    unresolved = pending;
  }
  return { packSha, idx: writeIndex(entries as { offset: number; crc: number; oid: string }[], packSha), objectCount, primer: reader.primer() };
}

/**
 * Inflate and check one entry of the first pass: whole objects get their id, deltas
 * wait for their base. A large file is hashed as it inflates, never held whole (a later
 * read inflates it again).
 */
async function readEntry(bytes: PackBytes, header: PackObjectHeader, offset: number, trailer: number): Promise<{ end: number; oid?: string; data?: Buffer }> {
  const where = `the object at pack offset ${offset}`;
  if (header.typeCode === BLOB && header.size > ONE_CALL_BYTES) {
    const hash = createHash('sha1').update(`blob ${header.size}\0`);
    const { end } = await inflateInto(bytes, header.dataOffset, trailer, header.size, where, (chunk) => hash.update(chunk));
    return { end, oid: hash.digest('hex') };
  }
  const { data, end } = await inflateExactly(bytes, header.dataOffset, trailer, header.size, where);
  if (isDelta(header)) return { end, data };
  const type = typeName(header.typeCode);
  checkObjectFormat(type, data);
  return { end, data, oid: objectId({ type, content: data }) };
}

/**
 * Delta chain depths, remembered per object. Resolving reuses cached bases, so a long
 * chain resolves without walking it: the depth is counted here and held to git's limit.
 */
class ChainDepths {
  private readonly depths = new Map<number, number>();

  constructor(private readonly baseOf: ReadonlyMap<number, number | string>, private readonly offsetOf: ReadonlyMap<string, number>) {}

  /** @throws PackError when the (resolved) delta at `offset` ends a chain longer than git allows */
  check(offset: number): void {
    const walked: number[] = [];
    let at: number | undefined = offset;
    let depth = 0;
    while (at !== undefined) {
      const known = this.depths.get(at);
      if (known !== undefined) {
        depth = known;
        break;
      }
      const base = this.baseOf.get(at);
      if (base === undefined) break;
      walked.push(at);
      if (walked.length > MAX_DELTA_CHAIN) break;
      at = typeof base === 'number' ? base : this.offsetOf.get(base);
    }
    for (let i = walked.length - 1; i >= 0; i -= 1) this.depths.set(walked[i]!, ++depth);
    if (depth > MAX_DELTA_CHAIN) throw new PackError(`the delta chain of the object at pack offset ${offset} is longer than ${MAX_DELTA_CHAIN}`);
  }
}

/** Lets timers and I/O run after every few milliseconds of work, and stops once `signal` aborts. */
function cooperative(signal: AbortSignal | undefined): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart < WORK_SLICE_MS) return;
    await nextTurn();
    signal?.throwIfAborted();
    sliceStart = performance.now();
  };
}

async function checksum(bytes: PackBytes, end: number, pause: () => Promise<void>): Promise<string> {
  const hash = createHash('sha1');
  for (let position = 0; position < end; position += READ_STEP_BYTES) {
    hash.update(await bytes.read(position, Math.min(end, position + READ_STEP_BYTES)));
    await pause();
  }
  return hash.digest('hex');
}

async function crcOf(bytes: PackBytes, start: number, end: number): Promise<number> {
  let crc = 0;
  for (let position = start; position < end; position += READ_STEP_BYTES) {
    crc = crc32(await bytes.read(position, Math.min(end, position + READ_STEP_BYTES)), crc);
  }
  return crc;
}

/** Serialize a version-2 pack index (gitformat-pack "pack-*.idx files have the following format"). */
function writeIndex(entries: { offset: number; crc: number; oid: string }[], packSha: string): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0));
  const count = sorted.length;
  const large = sorted.filter((entry) => entry.offset >= 0x80000000);
  const buffer = Buffer.alloc(8 + 256 * 4 + count * (20 + 4 + 4) + large.length * 8 + 40);
  buffer.writeUInt32BE(0xff744f63, 0);
  buffer.writeUInt32BE(2, 4);
  let position = 8;
  const fanout = new Array<number>(256).fill(0);
  for (const entry of sorted) fanout[Number.parseInt(entry.oid.slice(0, 2), 16)]! += 1;
  let cumulative = 0;
  for (const value of fanout) {
    cumulative += value;
    buffer.writeUInt32BE(cumulative, position);
    position += 4;
  }
  for (const entry of sorted) position += buffer.write(entry.oid, position, 'hex');
  for (const entry of sorted) position = buffer.writeUInt32BE(entry.crc >>> 0, position);
  let largeIndex = 0;
  for (const entry of sorted) {
    position = buffer.writeUInt32BE(entry.offset < 0x80000000 ? entry.offset : (0x80000000 | largeIndex++) >>> 0, position);
  }
  for (const entry of large) position = buffer.writeBigUInt64BE(BigInt(entry.offset), position);
  position += buffer.write(packSha, position, 'hex');
  createHash('sha1').update(buffer.subarray(0, position)).digest().copy(buffer, position);
  return buffer;
}
