import * as fs from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { createLogger, type Logger, type RepoReader } from '@netfleet/shared';
import { loadCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { createGitHttpClient, type GitHttpClient } from './http-client.js';
import { resolveGitSourceOptions, type GitSourceOptions, type ResolvedGitSourceOptions } from './options.js';
import { fetchBranch, remoteBranchHead, trackingRef, type RemoteContext } from './remote.js';
import type { SignatureVerification } from './signature-types.js';
import { SignatureVerifier } from './signature-verifier.js';
import { TreeReader } from './tree-reader.js';

/** The answer of {@link GitSource.poll}. */
export interface PollResult {
  /** The commit the remote branch points to now. */
  revision: string;
  /** True when it differs from the branch head last fetched into the cache. */
  changed: boolean;
}

/** One revision, ready to render. */
export interface Snapshot {
  /** Full commit sha. */
  revision: string;
  /** The revision's files, read from the object store on demand. */
  reader: RepoReader;
  /** The commit signature check; undefined when verification is off. */
  signature: SignatureVerification | undefined;
}

const FULL_SHA = /^[0-9a-f]{40}$/;
/** First deepening step when looking for an older revision; each next step doubles. */
const FIRST_DEEPEN_STEP = 16;
/** Each fetch leaves a pack; past this many the cache is rebuilt so reads stay fast. */
const MAX_PACKS = 64;

/**
 * The agent's view of the fleet repository: a shallow, single-branch copy in an on-disk
 * cache, fetched over HTTP(S) with isomorphic-git.
 *
 * - {@link poll} asks the server where the branch is: one HTTP request, no fetch.
 * - {@link snapshot} makes a revision (the branch head or a given commit) available locally,
 *   deepening the history for older commits, and returns a reader over its tree.
 *
 * Calls are serialized; every failure is a {@link GitSourceError} whose message never
 * holds a credential.
 */
export class GitSource {
  private readonly options: ResolvedGitSourceOptions;
  private readonly http: GitHttpClient;
  private readonly log: Logger;
  private readonly gitdir: string;
  private readonly verifier: SignatureVerifier | undefined;
  private initialized: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: GitSourceOptions) {
    this.options = resolveGitSourceOptions(options);
    this.gitdir = this.options.cacheDir;
    const { verification } = this.options;
    this.verifier = verification.mode === 'off' ? undefined : new SignatureVerifier(verification);
    this.http = createGitHttpClient({ caPem: this.options.caPem, timeoutMs: this.options.timeoutMs });
    this.log = (this.options.logger ?? createLogger({ name: 'agent-git' })).child({ repo: this.options.url, branch: this.options.branch });
  }

  /** Where the remote branch points, and whether that moved since the last fetch. */
  poll(): Promise<PollResult> {
    return this.serialized(async () => {
      await this.init();
      const revision = await remoteBranchHead(await this.remote());
      const changed = revision !== (await this.fetchedHead());
      this.log.debug({ revision, changed }, 'polled branch head');
      return { revision, changed };
    });
  }

  /**
   * Make `revision` (default: the current branch head) available in the cache and return
   * a reader over its tree. Nothing is fetched when the cache already holds the commit.
   * @throws GitSourceError `AGENT_GIT_REVISION_NOT_FOUND` when the revision is not within
   *   `maxDepth` commits of the branch head.
   * @throws SignatureRefusedError `AGENT_GIT_SIGNATURE_REFUSED` under `enforce` when the
   *   revision is not signed by a trusted key (under `warn` it is logged and returned).
   */
  snapshot(revision?: string): Promise<Snapshot> {
    return this.serialized(async () => {
      await this.init();
      if (revision !== undefined && !FULL_SHA.test(revision)) {
        throw new GitSourceError(GitErrorCode.RevisionNotFound, `Revision "${revision}" is not a full commit sha`, {
          hint: 'Give the 40-character hexadecimal commit id.',
        });
      }
      const started = performance.now();
      const remote = await this.remote();
      const cache = {};
      const target = revision ?? await remoteBranchHead(remote);
      if (!(await this.hasCommit(target, cache))) await this.fetchUntilPresent(remote, target, cache);
      const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid: target, cache });
      const signature = await this.checkSignature(target, cache);
      this.log.info({ revision: target, durationMs: Math.round(performance.now() - started) }, 'snapshot ready');
      return { revision: target, reader: new TreeReader(this.gitdir, commit.tree, cache), signature };
    });
  }

  /** Free pooled connections. The cache stays on disk for the next GitSource. */
  close(): void {
    this.http.close();
  }

  private async fetchUntilPresent(remote: RemoteContext, revision: string, cache: object): Promise<void> {
    await this.compactIfFragmented();
    const head = await fetchBranch(remote, this.gitdir, cache, { depth: this.options.depth, relative: false });
    this.log.info({ revision: head }, 'fetched branch head');
    let depth = this.options.depth;
    let step = FIRST_DEEPEN_STEP;
    while (!(await this.hasCommit(revision, cache))) {
      if (depth >= this.options.maxDepth || !(await this.isShallow())) {
        throw new GitSourceError(GitErrorCode.RevisionNotFound,
          `Revision ${revision} is not among the ${depth} most recent commits of branch ${this.options.branch} in ${this.options.url}`, {
            hint: 'The revision may have been force-pushed away or be on another branch; if it is older, raise maxDepth.',
          });
      }
      const deepenBy = Math.min(step, this.options.maxDepth - depth);
      await fetchBranch(remote, this.gitdir, cache, { depth: deepenBy, relative: true });
      depth += deepenBy;
      step *= 2;
      this.log.info({ revision, depth }, 'deepened history to find revision');
    }
  }

  private async checkSignature(revision: string, cache: object): Promise<SignatureVerification | undefined> {
    if (!this.verifier) return undefined;
    const { object } = await git.readObject({ fs, gitdir: this.gitdir, oid: revision, format: 'content', cache });
    const verification = await this.verifier.verify(object as Uint8Array);
    this.verifier.admit(revision, verification, this.log);
    return verification;
  }

  private async init(): Promise<void> {
    this.initialized ??= (async () => {
      try {
        await mkdir(this.gitdir, { recursive: true });
        await git.init({ fs, dir: this.gitdir, bare: true });
        // fetch maps the remote branch to the tracking ref through this refspec.
        const { url, branch } = this.options;
        await git.setConfig({ fs, gitdir: this.gitdir, path: 'remote.origin.url', value: url });
        await git.setConfig({ fs, gitdir: this.gitdir, path: 'remote.origin.fetch', value: `+refs/heads/${branch}:${trackingRef(branch)}` });
      } catch (error) {
        this.initialized = undefined;
        throw new GitSourceError(GitErrorCode.Cache, `Cannot create the git cache in ${this.gitdir}`, {
          hint: 'Check that the cache directory is writable.', cause: error,
        });
      }
    })();
    return this.initialized;
  }

  private async remote(): Promise<RemoteContext> {
    return {
      http: this.http,
      url: this.options.url,
      branch: this.options.branch,
      credentials: await loadCredentials(this.options.auth),
    };
  }

  private async fetchedHead(): Promise<string | undefined> {
    try {
      return await git.resolveRef({ fs, gitdir: this.gitdir, ref: trackingRef(this.options.branch) });
    } catch {
      return undefined;
    }
  }

  private async hasCommit(oid: string, cache: object): Promise<boolean> {
    try {
      const { type } = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'parsed', cache });
      return type === 'commit';
    } catch {
      return false;
    }
  }

  private async isShallow(): Promise<boolean> {
    try {
      return (await fs.promises.readFile(join(this.gitdir, 'shallow'), 'utf8')).trim().length > 0;
    } catch {
      return false;
    }
  }

  /** isomorphic-git cannot repack: when packs pile up, start the cache afresh. */
  private async compactIfFragmented(): Promise<void> {
    const packs = (await readdir(join(this.gitdir, 'objects', 'pack')).catch(() => [])).filter((name) => name.endsWith('.pack'));
    if (packs.length < MAX_PACKS) return;
    this.log.info({ packs: packs.length }, 'rebuilding fragmented git cache');
    await rm(this.gitdir, { recursive: true, force: true });
    this.initialized = undefined;
    await this.init();
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
