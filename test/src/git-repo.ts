import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runGit } from './git-cli.js';
import { configArgs, type CommitSigner } from './git-signing.js';

/** Where commits start: 2024-01-01T00:00:00Z; each commit is one minute later, so shas are reproducible. */
const FIRST_COMMIT_EPOCH = 1_704_067_200;

export interface CommitOptions {
  /** Sign the commit with this key. */
  signer?: CommitSigner;
  /** Allow a commit with no change. Default false. */
  allowEmpty?: boolean;
}

/** A work tree with the real git CLI, pushing to one remote (a bare repository path or URL). */
export interface WorkTree {
  readonly dir: string;
  readonly branch: string;
  /** Write files (creating directories); a string is written as UTF-8. */
  write(files: Record<string, string | Uint8Array>): Promise<void>;
  /** Create a symlink at `path` pointing to `target`. */
  symlink(path: string, target: string): Promise<void>;
  /** Delete files or directories. */
  remove(...paths: string[]): Promise<void>;
  /** Stage everything and commit; returns the new commit sha. */
  commit(message: string, options?: CommitOptions): Promise<string>;
  /** Create a tag (annotated when a message is given) at HEAD or `ref`. */
  tag(name: string, options?: { message?: string; ref?: string }): Promise<void>;
  /** Push the branch (and tags). `force` allows rewriting remote history. */
  push(options?: { force?: boolean }): Promise<void>;
  /** Move the branch to `ref` and reset the work tree, e.g. before a force-push. */
  resetHard(ref: string): Promise<void>;
  /**
   * Write a copy of commit `sha` with another message but the same headers (a signature
   * stays attached, now over other content), point the branch at it, and return its sha.
   */
  tamper(sha: string, message: string): Promise<string>;
  /** The commit sha `ref` points to. */
  resolve(ref: string): Promise<string>;
  /** Run any git command in the work tree (deterministic identity and dates). */
  git(args: string[], options?: { env?: Record<string, string>; input?: string }): Promise<string>;
  /** Delete the work tree. */
  dispose(): Promise<void>;
}

/**
 * Create a work tree whose `origin` is `remote` (a bare repository directory, such as
 * `GitServerRepo.dir`, or a URL). The branch starts empty.
 */
export async function createWorkTree(remote: string, options: { branch?: string } = {}): Promise<WorkTree> {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-worktree-'));
  const branch = options.branch ?? 'main';
  let commits = 0;

  const identity = () => {
    const date = `@${FIRST_COMMIT_EPOCH + commits * 60} +0000`;
    return {
      GIT_AUTHOR_NAME: 'Fleet Author', GIT_AUTHOR_EMAIL: 'author@netfleet.test', GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: 'Fleet Author', GIT_COMMITTER_EMAIL: 'author@netfleet.test', GIT_COMMITTER_DATE: date,
    };
  };
  const git = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
    runGit(args, { cwd: dir, env: { ...identity(), ...extra.env }, input: extra.input });

  await git(['init', '--quiet', `--initial-branch=${branch}`]);
  await git(['remote', 'add', 'origin', remote]);

  const tree: WorkTree = {
    dir,
    branch,
    async write(files) {
      for (const [path, content] of Object.entries(files)) {
        const target = join(dir, path);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, content);
      }
    },
    async symlink(path, target) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await symlink(target, join(dir, path));
    },
    async remove(...paths) {
      for (const path of paths) await rm(join(dir, path), { recursive: true, force: true });
    },
    async commit(message, commitOptions = {}) {
      await git(['add', '--all']);
      const signer = commitOptions.signer;
      const signArgs = signer ? [...configArgs(signer.gitConfig), 'commit', '--gpg-sign'] : ['commit', '--no-gpg-sign'];
      await git([...signArgs, '--quiet', ...(commitOptions.allowEmpty ? ['--allow-empty'] : []), '-m', message], { env: signer?.env });
      commits += 1;
      return tree.resolve('HEAD');
    },
    async tag(name, tagOptions = {}) {
      const args = tagOptions.message ? ['tag', '-a', name, '-m', tagOptions.message] : ['tag', name];
      await git([...args, tagOptions.ref ?? 'HEAD']);
    },
    async push(pushOptions = {}) {
      await git(['push', '--quiet', ...(pushOptions.force ? ['--force'] : []), '--tags', 'origin', `HEAD:refs/heads/${branch}`]);
    },
    async resetHard(ref) {
      await git(['reset', '--quiet', '--hard', ref]);
    },
    async tamper(sha, message) {
      const original = await git(['cat-file', 'commit', sha]);
      const headerEnd = original.indexOf('\n\n');
      const forged = `${original.slice(0, headerEnd)}\n\n${message}\n`;
      const forgedSha = (await git(['hash-object', '-t', 'commit', '-w', '--stdin'], { input: forged })).trim();
      await git(['reset', '--quiet', '--hard', forgedSha]);
      return forgedSha;
    },
    async resolve(ref) {
      return (await git(['rev-parse', ref])).trim();
    },
    git,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
  return tree;
}
