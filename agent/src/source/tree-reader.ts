import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { RepoEntry, RepoReader } from '@netfleet/shared';
import { GitErrorCode, GitSourceError } from './errors.js';

const MODE_SYMLINK = '120000';
const MODE_TREE = '040000';
/** A submodule: a commit of another repository, which this one does not hold. */
const MODE_GITLINK = '160000';

/**
 * Read one revision's tree straight from the object store, without a work tree.
 * Blobs are read when asked for and not kept, so memory does not grow with the repository.
 */
export class TreeReader implements RepoReader {
  private entries: Promise<Map<string, { entry: RepoEntry; oid: string }>> | undefined;

  /**
   * @param gitdir the bare object store
   * @param treeOid the revision's root tree
   * @param cache isomorphic-git's cache, shared so pack indexes are parsed once
   */
  constructor(private readonly gitdir: string, private readonly treeOid: string, private readonly cache: object) {}

  async list(): Promise<RepoEntry[]> {
    const entries = await this.index();
    return [...entries.values()].map(({ entry }) => entry);
  }

  async read(path: string): Promise<Uint8Array> {
    const found = (await this.index()).get(path);
    if (!found) {
      throw new GitSourceError(GitErrorCode.NotFound, `${path} is not a file of tree ${this.treeOid}`, {
        hint: 'Read only paths that list() returned.',
      });
    }
    return this.blob(found.oid);
  }

  private index(): Promise<Map<string, { entry: RepoEntry; oid: string }>> {
    this.entries ??= this.walk();
    return this.entries;
  }

  private async walk(): Promise<Map<string, { entry: RepoEntry; oid: string }>> {
    const found: { entry: RepoEntry; oid: string }[] = [];
    const pending: { oid: string; prefix: string }[] = [{ oid: this.treeOid, prefix: '' }];
    while (pending.length > 0) {
      const { oid, prefix } = pending.pop()!;
      const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
      for (const item of tree) {
        const path = `${prefix}${item.path}`;
        if (item.mode === MODE_TREE) pending.push({ oid: item.oid, prefix: `${path}/` });
        else if (item.mode !== MODE_GITLINK) {
          // The size needs the object; it is read here once and dropped.
          const size = (await this.blob(item.oid)).byteLength;
          found.push({ oid: item.oid, entry: { path, kind: item.mode === MODE_SYMLINK ? 'symlink' : 'file', size } });
        }
      }
    }
    found.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
    return new Map(found.map((item) => [item.entry.path, item]));
  }

  private async blob(oid: string): Promise<Uint8Array> {
    const { blob } = await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return blob;
  }
}
