import fs from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import git from 'isomorphic-git';
import type { RepoEntry, RepoReader } from '@netfleet/shared/repo-reader';
import { GitErrorCode, GitSourceError } from './errors.js';

/**
 * Revisions of a local git repository, read from its object database without a network or
 * the git CLI (isomorphic-git reads loose objects and packs). `netfleet preview` compares
 * two of them: a revision name resolves like git's for the forms a reviewer types: a full or
 * abbreviated commit id, a branch (local, then `origin/`), a tag, `HEAD`, and `~N` / `^`
 * suffixes for ancestors along first parents.
 */
export class LocalRevisions {
  private constructor(readonly dir: string, readonly subdir: string) {}

  /**
   * The repository holding `path`; when `path` is a folder inside the work tree, revisions
   * read only that folder, as if it were the repository's root.
   */
  static async open(path: string): Promise<LocalRevisions> {
    const absolute = resolve(path);
    const dir = await git.findRoot({ fs, filepath: absolute }).catch(() => undefined);
    if (!dir) {
      throw new GitSourceError(GitErrorCode.NotFound, `${path} is not inside a git repository`, {
        hint: 'run it in a clone of the fleet repository, or name one with --repo',
      });
    }
    const subdir = relative(dir, absolute).split(sep).join('/');
    return new LocalRevisions(dir, subdir);
  }

  /** The commit id a revision name stands for. */
  async resolve(name: string): Promise<string> {
    const match = /^(.*?)((?:~\d*|\^1?)*)$/.exec(name)!;
    let oid = await this.#resolveBase(match[1] || 'HEAD', name);
    for (const step of match[2]!.match(/~\d*|\^1?/g) ?? []) {
      const count = step.startsWith('~') ? Number(step.slice(1) || 1) : 1;
      for (let i = 0; i < count; i += 1) oid = await this.#firstParent(oid, name);
    }
    return oid;
  }

  /** The best common ancestor of two commits, or undefined when they share no history. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const bases = (await git.findMergeBase({ fs, dir: this.dir, oids: [a, b] })) as string[];
    return bases[0];
  }

  /** The branch `name` as this repository knows it: the remote-tracking ref first, as the agent follows the server's. */
  async branchTip(name: string): Promise<string> {
    for (const ref of [`refs/remotes/origin/${name}`, `refs/heads/${name}`]) {
      const oid = await git.resolveRef({ fs, dir: this.dir, ref }).catch(() => undefined);
      if (oid) return oid;
    }
    throw new GitSourceError(GitErrorCode.RevisionNotFound, `branch ${name} is not in the repository at ${this.dir}`, {
      hint: 'fetch it (git fetch origin) or name the base revision with --from',
    });
  }

  /** One commit's files (of the folder the repository was opened at) as a RepoReader. Submodules are left out: they hold no fleet files. */
  async reader(commit: string): Promise<RepoReader> {
    const { commit: parsed } = await git.readCommit({ fs, dir: this.dir, oid: commit });
    let tree: string | undefined = parsed.tree;
    for (const name of this.subdir ? this.subdir.split('/') : []) {
      const { tree: items } = await git.readTree({ fs, dir: this.dir, oid: tree });
      tree = items.find((item) => item.path === name && item.type === 'tree')?.oid;
      if (!tree) return new CommitReader(new Map());
    }
    const entries = new Map<string, { entry: RepoEntry; content: Uint8Array }>();
    await this.#walk(tree, '', entries);
    return new CommitReader(entries);
  }

  async #walk(tree: string, prefix: string, into: Map<string, { entry: RepoEntry; content: Uint8Array }>): Promise<void> {
    const { tree: items } = await git.readTree({ fs, dir: this.dir, oid: tree });
    for (const item of items) {
      const path = `${prefix}${item.path}`;
      if (item.type === 'tree') await this.#walk(item.oid, `${path}/`, into);
      else if (item.type === 'blob') {
        const { blob } = await git.readBlob({ fs, dir: this.dir, oid: item.oid });
        into.set(path, { entry: { path, kind: item.mode === '120000' ? 'symlink' : 'file', size: blob.byteLength }, content: blob });
      }
    }
  }

  async #resolveBase(base: string, name: string): Promise<string> {
    const notFound = () => new GitSourceError(GitErrorCode.RevisionNotFound, `revision ${name} is not in the repository at ${this.dir}`, {
      hint: 'name a commit id, branch, tag or HEAD, optionally with ~N',
    });
    for (const ref of [base, `refs/tags/${base}`, `refs/remotes/origin/${base}`]) {
      const oid = await git.resolveRef({ fs, dir: this.dir, ref }).catch(() => undefined);
      if (oid) return this.#peelToCommit(oid, name);
    }
    if (/^[0-9a-f]{4,40}$/i.test(base)) {
      const oid = await git.expandOid({ fs, dir: this.dir, oid: base.toLowerCase() }).catch(() => undefined);
      if (oid) return this.#peelToCommit(oid, name);
    }
    throw notFound();
  }

  /** Annotated tags point at a tag object; the revision is the commit it names. */
  async #peelToCommit(oid: string, name: string): Promise<string> {
    const object = await git.readObject({ fs, dir: this.dir, oid });
    if (object.type === 'commit') return oid;
    if (object.type === 'tag') return this.#peelToCommit((await git.readTag({ fs, dir: this.dir, oid })).tag.object, name);
    throw new GitSourceError(GitErrorCode.RevisionNotFound, `revision ${name} names a ${object.type}, not a commit`);
  }

  async #firstParent(oid: string, name: string): Promise<string> {
    const { commit } = await git.readCommit({ fs, dir: this.dir, oid });
    const parent = commit.parent[0];
    if (!parent) throw new GitSourceError(GitErrorCode.RevisionNotFound, `revision ${name} goes past the first commit`);
    return parent;
  }
}

class CommitReader implements RepoReader {
  constructor(readonly files: Map<string, { entry: RepoEntry; content: Uint8Array }>) {}

  async list(): Promise<RepoEntry[]> {
    return [...this.files.values()].map(({ entry }) => entry).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<Uint8Array> {
    const file = this.files.get(path);
    if (!file) throw new GitSourceError(GitErrorCode.RevisionNotFound, `${path} is not a file of the revision`);
    return file.content;
  }
}
