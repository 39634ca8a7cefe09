import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { NetfleetError } from './errors.js';
import type { RepoEntry, RepoReader } from './repo-reader.js';

/** Folders a working copy has that are never part of the fleet configuration. */
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

/**
 * A RepoReader over a local directory (a checkout or a plain folder). Symlinks are listed
 * as `symlink` entries whose content is the link target, so the loader decides whether
 * they stay inside the repository; this reader never follows them itself.
 */
export class FsRepoReader implements RepoReader {
  #entries: Map<string, RepoEntry> | undefined;

  constructor(readonly root: string) {}

  async list(): Promise<RepoEntry[]> {
    if (!this.#entries) {
      const entries: RepoEntry[] = [];
      try {
        await this.#walk('', entries);
      } catch (error) {
        throw new NetfleetError('CONFIG_REPO_UNREADABLE', `cannot read the repository folder ${this.root}`, { cause: error, hint: 'check the --repo path' });
      }
      entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      this.#entries = new Map(entries.map((entry) => [entry.path, entry]));
    }
    return [...this.#entries.values()];
  }

  async read(path: string): Promise<Uint8Array> {
    await this.list();
    const entry = this.#entries?.get(path);
    if (!entry) throw new NetfleetError('CONFIG_REPO_NO_SUCH_FILE', `${path} is not a file of the repository`);
    const full = join(this.root, ...path.split('/'));
    return entry.kind === 'symlink' ? new TextEncoder().encode(await readlink(full)) : new Uint8Array(await readFile(full));
  }

  async #walk(relative: string, into: RepoEntry[]): Promise<void> {
    const dir = relative === '' ? this.root : join(this.root, ...relative.split('/'));
    for (const dirent of await readdir(dir, { withFileTypes: true })) {
      const path = relative === '' ? dirent.name : posix.join(relative, dirent.name);
      if (dirent.isDirectory()) {
        if (!SKIPPED_DIRS.has(dirent.name)) await this.#walk(path, into);
      } else if (dirent.isSymbolicLink()) {
        const target = await readlink(join(dir, dirent.name));
        into.push({ path, kind: 'symlink', size: Buffer.byteLength(target.split(sep).join('/')) });
      } else if (dirent.isFile()) {
        into.push({ path, kind: 'file', size: (await lstat(join(dir, dirent.name))).size });
      }
    }
  }
}
