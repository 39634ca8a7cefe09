/**
 * The git pack format (gitformat-pack): object headers and delta instructions.
 * Shared by the pack indexer and the object store.
 */

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;
const TYPE_NAMES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

export function typeName(code: number): ObjectType {
  const name = TYPE_NAMES[code];
  if (!name) throw new Error(`unknown pack object type ${code}`);
  return name;
}

/** The header in front of each object's compressed data. */
export interface PackObjectHeader {
  /** 1-4 for whole objects, 6 (ofs-delta) or 7 (ref-delta). */
  typeCode: number;
  /** Inflated size: of the object, or of the delta data for deltas. */
  size: number;
  /** ofs-delta: pack offset of the base object. */
  baseOffset?: number;
  /** ref-delta: object id of the base object. */
  baseOid?: string;
  /** Offset where the zlib stream starts. */
  dataOffset: number;
}

/** Parse the object header at `offset`; `bytes` starts at pack offset `bytesOffset`. */
export function parseObjectHeader(bytes: Buffer, offset: number, bytesOffset = 0): PackObjectHeader {
  let position = offset - bytesOffset;
  let byte = bytes[position++]!;
  const typeCode = (byte >> 4) & 0x07;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    byte = bytes[position++]!;
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OBJ_OFS_DELTA) {
    byte = bytes[position++]!;
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = bytes[position++]!;
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    return { typeCode, size, baseOffset: offset - distance, dataOffset: position + bytesOffset };
  }
  if (typeCode === OBJ_REF_DELTA) {
    const baseOid = bytes.subarray(position, position + 20).toString('hex');
    return { typeCode, size, baseOid, dataOffset: position + 20 + bytesOffset };
  }
  return { typeCode, size, dataOffset: position + bytesOffset };
}

/** The longest object header: type/size varint (10) plus a ref-delta base id (20). */
export const MAX_HEADER_BYTES = 32;

/** Read a delta's size varint at `position`; returns the value and the next position. */
function deltaVarint(delta: Buffer, position: number): [number, number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    byte = delta[position++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, position];
}

/** The size of the object a delta produces, from the delta's header. */
export function deltaTargetSize(delta: Buffer): number {
  const [, afterBase] = deltaVarint(delta, 0);
  return deltaVarint(delta, afterBase)[0];
}

/** Apply git delta instructions to `base`. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const [baseSize, afterBase] = deltaVarint(delta, 0);
  if (baseSize !== base.length) throw new Error(`delta expects a base of ${baseSize} bytes, got ${base.length}`);
  const [targetSize, start] = deltaVarint(delta, afterBase);
  const target = Buffer.allocUnsafe(targetSize);
  let out = 0;
  let position = start;
  while (position < delta.length) {
    const op = delta[position++]!;
    if (op & 0x80) {
      let copyOffset = 0;
      let copySize = 0;
      for (let bit = 0; bit < 4; bit += 1) if (op & (1 << bit)) copyOffset += delta[position++]! * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit += 1) if (op & (0x10 << bit)) copySize += delta[position++]! * 2 ** (8 * bit);
      if (copySize === 0) copySize = 0x10000;
      copyBytes(base, copyOffset, target, out, copySize);
      out += copySize;
    } else if (op > 0) {
      copyBytes(delta, position, target, out, op);
      out += op;
      position += op;
    } else {
      throw new Error('invalid delta instruction 0');
    }
  }
  if (out !== targetSize) throw new Error(`delta produced ${out} bytes, expected ${targetSize}`);
  return target;
}

/** Buffer.copy costs a native call; deltas of text make many short copies, done faster inline. */
function copyBytes(source: Buffer, from: number, target: Buffer, to: number, length: number): void {
  if (length > 64) {
    source.copy(target, to, from, from + length);
    return;
  }
  if (from + length > source.length) throw new Error('delta copies past the end of its source');
  for (let i = 0; i < length; i += 1) target[to + i] = source[from + i]!;
}
