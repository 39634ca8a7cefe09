/**
 * Builds git packs byte by byte (gitformat-pack), well-formed or deliberately not, for
 * tests of what a hostile or broken server can send: every header field can lie.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export type CraftedObjectType = 'commit' | 'tree' | 'blob' | 'tag';
const TYPE_CODES: Record<CraftedObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const OFS_DELTA = 6;
const REF_DELTA = 7;

/** The git object id of `content` as an object of `type`. */
export function craftedObjectId(type: CraftedObjectType, content: Buffer | string): string {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`${type} ${bytes.length}\0`).update(bytes).digest('hex');
}

/** Type-and-size header of a pack entry (size as a little-endian base-128 varint). */
function entryHeader(typeCode: number, size: number): Buffer {
  const bytes = [(typeCode << 4) | (size & 0x0f)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

export interface EntryOptions {
  /** The size the header claims; default the real inflated size. */
  claimedSize?: number;
  /** The zlib data; default deflate of the content. */
  zlib?: Buffer;
}

/** A whole object entry. */
export function objectEntry(type: CraftedObjectType, content: Buffer | string, options: EntryOptions = {}): Buffer {
  const bytes = Buffer.from(content);
  return Buffer.concat([entryHeader(TYPE_CODES[type], options.claimedSize ?? bytes.length), options.zlib ?? deflateSync(bytes)]);
}

/** An ofs-delta entry whose base starts `distance` bytes before this entry. */
export function ofsDeltaEntry(distance: number, delta: Buffer, options: EntryOptions = {}): Buffer {
  const offset = [distance & 0x7f];
  let rest = Math.floor(distance / 128);
  while (rest > 0) {
    rest -= 1;
    offset.unshift(0x80 | (rest & 0x7f));
    rest = Math.floor(rest / 128);
  }
  return Buffer.concat([entryHeader(OFS_DELTA, options.claimedSize ?? delta.length), Buffer.from(offset), options.zlib ?? deflateSync(delta)]);
}

/** A ref-delta entry against the object `baseOid`. */
export function refDeltaEntry(baseOid: string, delta: Buffer, options: EntryOptions = {}): Buffer {
  return Buffer.concat([entryHeader(REF_DELTA, options.claimedSize ?? delta.length), Buffer.from(baseOid, 'hex'), options.zlib ?? deflateSync(delta)]);
}

function deltaVarint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return bytes;
}

/** Delta data: base size, target size, then instructions ({@link copy}, {@link insert}). */
export function delta(baseSize: number, targetSize: number, ...instructions: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([...deltaVarint(baseSize), ...deltaVarint(targetSize)]), ...instructions]);
}

/** Copy `size` bytes (1..0xffffff) from `offset` of the base. */
export function copy(offset: number, size: number): Buffer {
  let op = 0x80;
  const operands: number[] = [];
  for (let bit = 0; bit < 4; bit += 1) {
    const byte = Math.floor(offset / 2 ** (8 * bit)) & 0xff;
    if (byte) { op |= 1 << bit; operands.push(byte); }
  }
  for (let bit = 0; bit < 3; bit += 1) {
    const byte = (size >> (8 * bit)) & 0xff;
    if (byte) { op |= 0x10 << bit; operands.push(byte); }
  }
  return Buffer.from([op, ...operands]);
}

/** Insert literal bytes (at most 127). */
export function insert(bytes: Buffer | string): Buffer {
  const data = Buffer.from(bytes);
  return Buffer.concat([Buffer.from([data.length]), data]);
}

/** A raw tree object: entries `<mode> <name>\0<20-byte id>`. */
export function treeContent(entries: { mode: string; name: string; oid: string }[]): Buffer {
  return Buffer.concat(entries.map((entry) => Buffer.concat([Buffer.from(`${entry.mode} ${entry.name}\0`), Buffer.from(entry.oid, 'hex')])));
}

/** A raw commit object of `tree`. */
export function commitContent(tree: string, message = 'crafted\n'): string {
  return `tree ${tree}\nauthor a <a@example.com> 1700000000 +0000\ncommitter a <a@example.com> 1700000000 +0000\n\n${message}`;
}

/** A version-2 pack of `entries` with its SHA-1 trailer; `objectCount` may lie. */
export function buildPack(entries: Buffer[], objectCount = entries.length): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objectCount, 8);
  return withTrailer(Buffer.concat([header, ...entries]));
}

/** `body` followed by its SHA-1, as a pack ends: lets a mutated pack pass the checksum. */
export function withTrailer(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}
