import type { RepoEntry, RepoReader } from '@netfleet/shared/repo-reader';
import { GitErrorCode, GitSourceError } from './errors.js';
import type { ObjectStore } from './object-store.js';
import { parseTree, type TreeEntry } from './object-format.js';

const MODE_SYMLINK = '120000';
const MODE_TREE = '40000';
/** A submodule: a commit of another repository, which this one does not hold. */
const MODE_GITLINK = '160000';
/**
 * Paths a revision may hold. Trees can name one subtree many times, so a few bytes of trees
 * can spell an exponential number of paths: the walk stops here instead.
 */
const MAX_PATHS = 1_000_000;

/**
 * Read one revision's tree straight from the object store, without a work tree.
 * Sizes come from pack headers; blobs are inflated only when read and not kept beyond
 * the store's bounded cache, so memory does not grow with the repository.
 */
export class TreeReader implements RepoReader {
  private entries: Promise<Map<string, { entry: RepoEntry; oid: string }>> | undefined;
  private readonly submodulePaths: string[] = [];

  constructor(private readonly store: ObjectStore, private readonly treeOid: string) {}

  async list(): Promise<RepoEntry[]> {
    return [...(await this.index()).values()].map(({ entry }) => entry);
  }

  async read(path: string): Promise<Uint8Array> {
    const found = (await this.index()).get(path);
    if (!found) {
      throw new GitSourceError(GitErrorCode.NotFound, `${path} is not a file of tree ${this.treeOid}`, {
        hint: 'Read only paths that list() returned.',
      });
    }
    return (await this.store.read(found.oid)).content;
  }

  /** Paths of the submodules in the tree: they are not listed, as their content is not in this repository. */
  async submodules(): Promise<string[]> {
    await this.index();
    return this.submodulePaths;
  }

  private index(): Promise<Map<string, { entry: RepoEntry; oid: string }>> {
    this.entries ??= this.walk();
    return this.entries;
  }

  private async walk(): Promise<Map<string, { entry: RepoEntry; oid: string }>> {
    const found: { entry: RepoEntry; oid: string }[] = [];
    const pending: { oid: string; prefix: string }[] = [{ oid: this.treeOid, prefix: '' }];
    let walked = 0;
    while (pending.length > 0) {
      const { oid, prefix } = pending.pop()!;
      for (const item of await this.entriesOf(oid)) {
        if (++walked > MAX_PATHS) {
          throw new GitSourceError(GitErrorCode.TooLarge, `Tree ${this.treeOid} holds more than ${MAX_PATHS} paths`, {
            hint: 'The fleet repository cannot be that large; check what was pushed to the branch.',
          });
        }
        const path = `${prefix}${item.name}`;
        if (item.mode === MODE_TREE) pending.push({ oid: item.oid, prefix: `${path}/` });
        else if (item.mode === MODE_GITLINK) this.submodulePaths.push(path);
        else {
          const { size } = await this.store.describe(item.oid);
          found.push({ oid: item.oid, entry: { path, kind: item.mode === MODE_SYMLINK ? 'symlink' : 'file', size } });
        }
      }
    }
    found.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
    return new Map(found.map((item) => [item.entry.path, item]));
  }

  /** A malformed tree in the cache is damage: AGENT_GIT_CACHE makes the source fetch afresh. */
  private async entriesOf(oid: string): Promise<TreeEntry[]> {
    const { content } = await this.store.read(oid);
    try {
      return parseTree(content);
    } catch (error) {
      throw new GitSourceError(GitErrorCode.Cache, `Tree ${oid} in the git cache is malformed: ${(error as Error).message}`, {
        hint: 'The cache is damaged; delete the cache directory so it is fetched afresh.', cause: error,
      });
    }
  }
}
