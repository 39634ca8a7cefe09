import { PackError, type ObjectType } from './pack-format.js';

/** One entry of a tree object. */
export interface TreeEntry {
  /** Octal mode as git writes it: `100644`, `100755`, `120000`, `40000`, `160000`. */
  mode: string;
  name: string;
  oid: string;
}

const MODE = /^[0-7]{5,6}$/;

/**
 * Entries of a raw tree object: `<mode> <name>\0<20-byte id>` each. Refuses, as git fsck
 * does, entries that run past the end, odd modes, and names that are empty, `.`, `..` or
 * hold a slash (they would escape or confuse the paths built from them).
 */
export function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let position = 0;
  while (position < content.length) {
    const space = content.indexOf(0x20, position);
    const nul = space < 0 ? -1 : content.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > content.length) throw badTree(position, 'is truncated');
    const mode = content.toString('latin1', position, space);
    const name = content.toString('utf8', space + 1, nul);
    if (!MODE.test(mode)) throw badTree(position, `has the invalid mode "${mode.slice(0, 16)}"`);
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw badTree(position, `has the invalid name "${name.slice(0, 64)}"`);
    entries.push({ mode, name, oid: content.toString('hex', nul + 1, nul + 21) });
    position = nul + 21;
  }
  return entries;
}

const COMMIT_HEADER = /^tree [0-9a-f]{40}\n/;
const TAG_HEADER = /^object [0-9a-f]{40}\n/;

/** Check that an object's content has its type's shape, so readers can rely on it. */
export function checkObjectFormat(type: ObjectType, content: Buffer): void {
  if (type === 'tree') parseTree(content);
  else if (type === 'commit' && !COMMIT_HEADER.test(content.toString('latin1', 0, 46))) throw new PackError('a commit object does not start with a tree line');
  else if (type === 'tag' && !TAG_HEADER.test(content.toString('latin1', 0, 48))) throw new PackError('a tag object does not start with an object line');
}

function badTree(position: number, problem: string): PackError {
  return new PackError(`a tree object's entry at byte ${position} ${problem}`);
}
