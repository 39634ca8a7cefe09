/**
 * The git pack format (gitformat-pack): object headers and delta instructions.
 * Shared by the pack indexer and the object store. Everything here reads bytes a server
 * sent, so every length and offset is checked before it is used.
 */

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;
const TYPE_NAMES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/** The longest delta chain git's pack-objects writes (`--depth` is capped at 4095). */
export const MAX_DELTA_CHAIN = 4095;

/**
 * A pack (or an object in it) is malformed, or larger than the limits allow. The message
 * says what is wrong and where; `tooLarge` tells a limit from damage.
 */
export class PackError extends Error {
  constructor(message: string, readonly tooLarge = false) {
    super(message);
    this.name = 'PackError';
  }
}

export function typeName(code: number): ObjectType {
  const name = TYPE_NAMES[code];
  if (!name) throw new PackError(`unknown pack object type ${code}`);
  return name;
}

export function isDelta(header: PackObjectHeader): boolean {
  return header.typeCode === OBJ_OFS_DELTA || header.typeCode === OBJ_REF_DELTA;
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

/** Size varints stop here: beyond 2^53 a JavaScript number loses bytes. */
const MAX_VARINT_SHIFT = 49;

/** Parse the object header at `offset`; `bytes` starts at pack offset `bytesOffset`. */
export function parseObjectHeader(bytes: Buffer, offset: number, bytesOffset = 0): PackObjectHeader {
  let position = offset - bytesOffset;
  let byte = headerByte(bytes, position++, offset);
  const typeCode = (byte >> 4) & 0x07;
  let size = byte & 0x0f;
  let shift = 4;
  while (byte & 0x80) {
    if (shift > MAX_VARINT_SHIFT) throw new PackError(`the object at pack offset ${offset} claims an impossible size`);
    byte = headerByte(bytes, position++, offset);
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  }
  if (typeCode === OBJ_OFS_DELTA) {
    byte = headerByte(bytes, position++, offset);
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      if (distance >= 2 ** 45) throw new PackError(`the delta at pack offset ${offset} has an overflowing base offset`);
      byte = headerByte(bytes, position++, offset);
      distance = (distance + 1) * 128 + (byte & 0x7f);
    }
    // As git index-pack: the base must lie before the delta, inside the pack (a distance
    // of 0 would make the delta its own base).
    const baseOffset = offset - distance;
    if (distance === 0 || baseOffset < 12) {
      throw new PackError(`the delta at pack offset ${offset} names a base at distance ${distance}, outside the objects before it`);
    }
    return { typeCode, size, baseOffset, dataOffset: position + bytesOffset };
  }
  if (typeCode === OBJ_REF_DELTA) {
    if (position + 20 > bytes.length) throw new PackError(`the object header at pack offset ${offset} is truncated`);
    const baseOid = bytes.subarray(position, position + 20).toString('hex');
    return { typeCode, size, baseOid, dataOffset: position + 20 + bytesOffset };
  }
  typeName(typeCode);
  return { typeCode, size, dataOffset: position + bytesOffset };
}

function headerByte(bytes: Buffer, position: number, offset: number): number {
  const value = bytes[position];
  if (value === undefined) throw new PackError(`the object header at pack offset ${offset} is truncated`);
  return value;
}

/** The longest object header: type/size varint (10) plus a ref-delta base id (20). */
export const MAX_HEADER_BYTES = 32;

/** Read a delta's size varint at `position`; returns the value and the next position. */
function deltaVarint(delta: Buffer, position: number): [number, number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    const next = delta[position++];
    if (next === undefined || shift > MAX_VARINT_SHIFT) throw new PackError('a delta header is truncated or overflows');
    byte = next;
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

/** Operand bytes of a copy instruction: one per bit set in its low seven bits. */
const OPERAND_BYTES = Uint8Array.from({ length: 128 }, (_, bits) => bits.toString(2).split('1').length - 1);

/**
 * Apply git delta instructions to `base`, refusing (as git's patch-delta does) any
 * instruction that reads outside the base or the delta, or writes past the target size
 * the delta declares; that size must not exceed `maxTargetBytes`.
 */
export function applyDelta(base: Buffer, delta: Buffer, maxTargetBytes = Number.MAX_SAFE_INTEGER): Buffer {
  const [baseSize, afterBase] = deltaVarint(delta, 0);
  if (baseSize !== base.length) throw new PackError(`a delta expects a base of ${baseSize} bytes, but its base has ${base.length}`);
  const [targetSize, start] = deltaVarint(delta, afterBase);
  if (targetSize > maxTargetBytes) {
    throw new PackError(`a delta produces an object of ${targetSize} bytes, above the limit of ${maxTargetBytes}`, true);
  }
  const target = Buffer.allocUnsafe(targetSize);
  let out = 0;
  let position = start;
  while (position < delta.length) {
    const op = delta[position++]!;
    if (op & 0x80) {
      if (position + OPERAND_BYTES[op & 0x7f]! > delta.length) throw new PackError('a delta copy instruction is truncated');
      let copyOffset = 0;
      let copySize = 0;
      for (let bit = 0; bit < 4; bit += 1) if (op & (1 << bit)) copyOffset += delta[position++]! * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit += 1) if (op & (0x10 << bit)) copySize += delta[position++]! * 2 ** (8 * bit);
      if (copySize === 0) copySize = 0x10000;
      if (copyOffset + copySize > base.length) {
        throw new PackError(`a delta copies ${copySize} bytes from offset ${copyOffset} of a ${base.length}-byte base`);
      }
      if (copySize > targetSize - out) throw new PackError(`a delta writes past the ${targetSize} bytes it declares`);
      copyBytes(base, copyOffset, target, out, copySize);
      out += copySize;
    } else if (op > 0) {
      if (position + op > delta.length) throw new PackError('a delta insert instruction is truncated');
      if (op > targetSize - out) throw new PackError(`a delta writes past the ${targetSize} bytes it declares`);
      copyBytes(delta, position, target, out, op);
      out += op;
      position += op;
    } else {
      throw new PackError('a delta holds the reserved instruction 0');
    }
  }
  if (out !== targetSize) throw new PackError(`a delta produced ${out} bytes but declares ${targetSize}`);
  return target;
}

/**
 * Buffer.copy costs a native call; deltas of text make many short copies, done faster
 * inline. Callers check the bounds: Buffer.copy would silently clamp a long copy.
 */
function copyBytes(source: Buffer, from: number, target: Buffer, to: number, length: number): void {
  if (length > 64) {
    source.copy(target, to, from, from + length);
    return;
  }
  for (let i = 0; i < length; i += 1) target[to + i] = source[from + i]!;
}
