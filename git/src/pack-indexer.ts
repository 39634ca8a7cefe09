import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { OBJ_OFS_DELTA, OBJ_REF_DELTA, parseObjectHeader, typeName } from './pack-format.js';
import { objectId, outputChunk, PackFile, packInMemory } from './pack-file.js';

/** Inflated objects kept from the first pass for delta resolution, at most this many bytes. */
const KEEP_INFLATED_BYTES = 64 * 1024 * 1024;

/** A pack checked and indexed: what `git index-pack` produces. */
export interface IndexedPack {
  /** Hex SHA-1 of the pack, which names its files. */
  packSha: string;
  /** The `.idx` file (version 2). */
  idx: Buffer;
  objectCount: number;
  /** A reader over the pack, primed with the objects indexing inflated and resolved. */
  objects: PackFile;
}

/**
 * Check a received pack (signature, trailer checksum) and build its version-2 index
 * with native zlib and hashing, as `git index-pack` does.
 */
export async function indexPack(pack: Buffer): Promise<IndexedPack> {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw new Error('not a git pack (missing PACK signature)');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new Error(`unsupported pack version ${version}`);
  const objectCount = pack.readUInt32BE(8);
  const trailer = pack.length - 20;
  const packSha = createHash('sha1').update(pack.subarray(0, trailer)).digest('hex');
  if (packSha !== pack.subarray(trailer).toString('hex')) throw new Error('pack checksum mismatch (truncated or corrupted transfer)');

  const entries: { offset: number; end: number; crc: number; oid: string | undefined }[] = [];
  const inflated = new Map<number, Buffer>();
  let keptBytes = 0;
  let offset = 12;
  for (let i = 0; i < objectCount; i += 1) {
    const header = parseObjectHeader(pack, offset);
    // An output chunk the size of the object: the default 16 KiB chunk per object adds up.
    const { buffer, engine } = inflateSync(pack.subarray(header.dataOffset, trailer), { info: true, chunkSize: outputChunk(header.size) }) as unknown as
      { buffer: Buffer; engine: { bytesWritten: number } };
    const end = header.dataOffset + engine.bytesWritten;
    const isDelta = header.typeCode === OBJ_OFS_DELTA || header.typeCode === OBJ_REF_DELTA;
    const oid = isDelta ? undefined : objectId({ type: typeName(header.typeCode), content: buffer });
    entries.push({ offset, end, crc: crc32(pack.subarray(offset, end)), oid });
    // Kept for resolving deltas without inflating again, up to a memory budget.
    if (keptBytes + buffer.length <= KEEP_INFLATED_BYTES) {
      inflated.set(offset, buffer);
      keptBytes += buffer.length;
    }
    offset = end;
  }
  if (offset !== trailer) throw new Error(`pack has ${trailer - offset} unexpected bytes after its ${objectCount} objects`);

  const endOf = new Map(entries.map((entry) => [entry.offset, entry.end]));
  const offsetOf = new Map<string, number>();
  for (const entry of entries) if (entry.oid) offsetOf.set(entry.oid, entry.offset);
  const reader = new PackFile(packInMemory(pack), (at) => endOf.get(at) ?? trailer, (oid) => offsetOf.get(oid), inflated);
  // A ref-delta's base may itself be a delta further on: repeat until every id is known.
  let unresolved = entries.filter((entry) => !entry.oid);
  while (unresolved.length > 0) {
    const pending: typeof unresolved = [];
    for (const entry of unresolved) {
      try {
        entry.oid = objectId(await reader.object(entry.offset));
        offsetOf.set(entry.oid, entry.offset);
      } catch (error) {
        if (!/not in the pack/.test((error as Error).message)) throw error;
        pending.push(entry);
      }
    }
    if (pending.length === unresolved.length) throw new Error(`${pending.length} deltas refer to objects that are not in the pack`);
    unresolved = pending;
  }
  return { packSha, idx: writeIndex(entries as { offset: number; crc: number; oid: string }[], packSha), objectCount, objects: reader };
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
