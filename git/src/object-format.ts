import { PackError, type ObjectType } from './pack-format.js';

/** One entry of a tree object. */
export interface TreeEntry {
  /** Octal mode as git writes it: `100644`, `100755`, `120000`, `40000`, `160000`. */
  mode: string;
  name: string;
  oid: string;
}

/**
 * Entries of a raw tree object: `<mode> <name>\0<20-byte id>` each. Refuses, as git fsck
 * does, entries that run past the end, odd modes, and names that are empty, `.`, `..` or
 * hold a slash (they would escape or confuse the paths built from them).
 */
export function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  scanTree(content, (position, space, nul) => entries.push({
    mode: content.toString('latin1', position, space),
    name: content.toString('utf8', space + 1, nul),
    oid: content.toString('hex', nul + 1, nul + 21),
  }));
  return entries;
}

/** Check every entry of a tree; `entry` gets the positions of each: start, the space, the NUL. */
function scanTree(content: Buffer, entry?: (position: number, space: number, nul: number) => void): void {
  let position = 0;
  while (position < content.length) {
    const space = content.indexOf(0x20, position);
    const nul = space < 0 ? -1 : content.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > content.length) throw badTree(position, 'is truncated');
    if (space - position < 5 || space - position > 6 || !isOctal(content, position, space)) {
      throw badTree(position, `has the invalid mode "${content.toString('latin1', position, Math.min(space, position + 16))}"`);
    }
    const nameLength = nul - space - 1;
    const dots = nameLength <= 2 && content[space + 1] === 0x2e && (nameLength === 1 || content[space + 2] === 0x2e);
    if (nameLength === 0 || dots || content.subarray(space + 1, nul).includes(0x2f)) {
      throw badTree(position, `has the invalid name "${content.toString('utf8', space + 1, Math.min(nul, space + 65))}"`);
    }
    entry?.(position, space, nul);
    position = nul + 21;
  }
}

function isOctal(content: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (content[i]! < 0x30 || content[i]! > 0x37) return false;
  return true;
}

const OBJECT_ID = /^[0-9a-f]{40}$/;

/** A full SHA-1 object id in lowercase hex, as git writes them. */
export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

const COMMIT_HEADER = /^tree [0-9a-f]{40}\n/;
const TAG_HEADER = /^object [0-9a-f]{40}\n/;

/** Check that an object's content has its type's shape, so readers can rely on it. */
export function checkObjectFormat(type: ObjectType, content: Buffer): void {
  if (type === 'tree') scanTree(content);
  else if (type === 'commit' && !COMMIT_HEADER.test(content.toString('latin1', 0, 46))) throw new PackError('a commit object does not start with a tree line');
  else if (type === 'tag' && !TAG_HEADER.test(content.toString('latin1', 0, 48))) throw new PackError('a tag object does not start with an object line');
}

function badTree(position: number, problem: string): PackError {
  return new PackError(`a tree object's entry at byte ${position} ${problem}`);
}
