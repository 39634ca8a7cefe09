import { rm } from 'node:fs/promises';
import { createLogger, type Logger } from '@netfleet/shared/log';
import type { RepoEntry, RepoReader } from '@netfleet/shared/repo-reader';
import { loadCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { createGitHttpClient } from './http-client.js';
import { HttpTransport } from './http-transport.js';
import { resolveGitSourceOptions, type GitSourceOptions, type ResolvedGitSourceOptions } from './options.js';
import { isObjectId } from './object-format.js';
import { ObjectStore } from './object-store.js';
import { fetchBranch, remoteBranchHead, trackingRef, type RemoteContext } from './remote.js';
import type { SignatureVerification } from './signature-types.js';
import { SignatureVerifier } from './signature-verifier.js';
import { SshTransport } from './ssh-transport.js';
import type { Transport } from './transport.js';
import { TreeReader } from './tree-reader.js';

/** Options of one {@link GitSource.poll} or {@link GitSource.snapshot}. */
export interface FetchCallOptions {
  /** Abort the call (e.g. the agent is stopping): it fails with AGENT_GIT_ABORTED. */
  signal?: AbortSignal;
}

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
  /**
   * The revision's files, read from the object store on demand. It stays usable while
   * the cache holds the revision (the cache is only rebuilt when fetches have piled up
   * many packs).
   */
  reader: RepoReader;
  /** The commit signature check; undefined when verification is off. */
  signature: SignatureVerification | undefined;
}

/** First deepening step when looking for an older revision; each next step doubles. */
const FIRST_DEEPEN_STEP = 16;
/** Packs in the cache beyond which it is rebuilt. */
const MAX_PACKS = 64;

/**
 * A view of the fleet repository: a shallow, single-branch copy in an on-disk cache (a bare
 * repository of packs), fetched over smart HTTP(S) or SSH (see `transport.ts`); refs are
 * listed with protocol v2 `ls-refs` where the server offers it, packs are indexed natively.
 *
 * - {@link poll} asks the server where the branch is: no fetch (one `ls-refs` request, or
 *   the v0 ref advertisement).
 * - {@link snapshot} makes a revision (the branch head or a given commit) available locally,
 *   deepening the history for older commits, and returns a reader over its tree.
 *
 * Calls are serialized; every failure is a {@link GitSourceError} whose message never
 * holds a credential.
 */
export class GitSource {
  private readonly options: ResolvedGitSourceOptions;
  private readonly transport: Transport;
  private readonly log: Logger;
  private readonly gitdir: string;
  private readonly verifier: SignatureVerifier | undefined;
  private store: Promise<ObjectStore> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: GitSourceOptions) {
    this.options = resolveGitSourceOptions(options);
    this.gitdir = this.options.cacheDir;
    const { verification } = this.options;
    this.verifier = verification.mode === 'off' ? undefined : new SignatureVerifier(verification);
    this.log = (this.options.logger ?? createLogger({ name: 'agent-git' })).child({ repo: this.options.url, branch: this.options.branch });
    this.transport = createTransport(this.options, this.log);
  }

  /**
   * Where the remote branch points, and whether that moved since the last fetch.
   * @throws GitSourceError `AGENT_GIT_TIMEOUT` past `fetchTimeoutMs`
   */
  poll(options: FetchCallOptions = {}): Promise<PollResult> {
    return this.serialized(options.signal, async (signal) => {
      const store = await this.openStore();
      const revision = await remoteBranchHead(await this.remote(signal));
      const changed = revision !== (await store.readRef(trackingRef(this.options.branch)));
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
   * @throws GitSourceError `AGENT_GIT_INVALID_PACK` / `AGENT_GIT_TOO_LARGE` when the server
   *   sends a malformed or oversized pack (nothing is stored), `AGENT_GIT_TIMEOUT` past
   *   `fetchTimeoutMs`.
   */
  snapshot(revision?: string, options: FetchCallOptions = {}): Promise<Snapshot> {
    return this.serialized(options.signal, async (signal) => {
      if (revision !== undefined && !isObjectId(revision)) {
        throw new GitSourceError(GitErrorCode.RevisionNotFound, `Revision "${revision}" is not a full commit sha`, {
          hint: 'Give the 40-character hexadecimal commit id.',
        });
      }
      try {
        return await this.takeSnapshot(revision, signal);
      } catch (error) {
        if (!(error instanceof GitSourceError) || error.code !== GitErrorCode.Cache) throw error;
        // The cache is only a copy of the remote: drop a damaged one and fetch again, once.
        this.log.warn({ err: error.message }, 'git cache damaged; fetching afresh');
        await this.resetCache().catch(() => { throw error; });
        return await this.takeSnapshot(revision, signal);
      }
    });
  }

  /** Free pooled connections. The cache stays on disk for the next GitSource. */
  close(): void {
    this.transport.close();
  }

  private async takeSnapshot(revision: string | undefined, signal: AbortSignal): Promise<Snapshot> {
    const started = performance.now();
    const cached = revision !== undefined && (await this.openStore()).has(revision);
    const target = cached ? revision : await this.fetchUntilPresent(await this.remote(signal), revision);
    const store = await this.openStore();
    const raw = await store.read(target);
    if (raw.type !== 'commit') {
      throw new GitSourceError(GitErrorCode.RevisionNotFound, `${target} is a ${raw.type}, not a commit`, { hint: 'Give a commit id.' });
    }
    const signature = await this.checkSignature(target, raw.content);
    const reader = new TreeReader(store, treeOf(raw.content));
    // Walking the tree now surfaces a damaged cache here, where it is repaired.
    await this.warnAboutUnreadable(target, reader, await reader.list());
    this.log.info({ revision: target, durationMs: Math.round(performance.now() - started) }, 'snapshot ready');
    return { revision: target, reader, signature };
  }

  /** Fetch the branch head, then deepen until `revision` (default: that head) is present. */
  private async fetchUntilPresent(remote: RemoteContext, revision: string | undefined): Promise<string> {
    const store = await this.compactIfFragmented(await this.openStore());
    const head = await fetchBranch(remote, store, { depth: this.options.depth, relative: false });
    this.log.info({ revision: head }, 'fetched branch head');
    const target = revision ?? head;
    let depth = this.options.depth;
    let step = FIRST_DEEPEN_STEP;
    while (!store.has(target)) {
      if (depth >= this.options.maxDepth || (await store.readShallow()).size === 0) {
        throw new GitSourceError(GitErrorCode.RevisionNotFound,
          `Revision ${target} is not among the ${depth} most recent commits of branch ${this.options.branch} in ${this.options.url}`, {
            hint: 'The revision may have been force-pushed away or be on another branch; if it is older, raise maxDepth.',
          });
      }
      const deepenBy = Math.min(step, this.options.maxDepth - depth);
      await fetchBranch(remote, store, { depth: deepenBy, relative: true });
      depth += deepenBy;
      step *= 2;
      this.log.info({ revision: target, depth }, 'deepened history to find revision');
    }
    return target;
  }

  /**
   * Submodules are not fetched, and Git LFS files are only pointers here: say so, naming
   * the paths, rather than let a render miss them or read a pointer as YAML.
   */
  private async warnAboutUnreadable(revision: string, reader: TreeReader, entries: RepoEntry[]): Promise<void> {
    const submodules = await reader.submodules();
    if (submodules.length > 0) {
      this.log.warn({ revision, paths: submodules }, `the revision has submodules, which are not fetched: ${submodules.join(', ')}; keep fleet files in this repository`);
    }
    const lfsPointers = await lfsPointerPaths(reader, entries);
    if (lfsPointers.length > 0) {
      this.log.warn({ revision, paths: lfsPointers }, `files stored with Git LFS are only pointers here, not their content: ${lfsPointers.join(', ')}; keep fleet files out of LFS (.gitattributes)`);
    }
  }

  private async checkSignature(revision: string, rawCommit: Buffer): Promise<SignatureVerification | undefined> {
    if (!this.verifier) return undefined;
    const verification = await this.verifier.verify(rawCommit);
    this.verifier.admit(revision, verification, this.log);
    return verification;
  }

  private openStore(): Promise<ObjectStore> {
    this.store ??= ObjectStore.open(this.gitdir, { maxObjectBytes: this.options.maxObjectBytes }).catch((error: unknown) => {
      this.store = undefined;
      throw new GitSourceError(GitErrorCode.Cache, `Cannot open the git cache in ${this.gitdir}`, {
        hint: 'Check that the cache directory is writable and not corrupted (deleting it is safe).', cause: error,
      });
    });
    return this.store;
  }

  private async remote(signal: AbortSignal): Promise<RemoteContext> {
    return {
      transport: this.transport,
      url: this.options.url,
      branch: this.options.branch,
      credentials: await loadCredentials(this.options.auth),
      maxPackBytes: this.options.maxPackBytes,
      signal,
    };
  }

  /** Each fetch leaves a pack; when they pile up, start the cache afresh so lookups stay fast. */
  private async compactIfFragmented(store: ObjectStore): Promise<ObjectStore> {
    if (store.packCount < MAX_PACKS) return store;
    this.log.info({ packs: store.packCount }, 'rebuilding fragmented git cache');
    await this.resetCache();
    return this.openStore();
  }

  private async resetCache(): Promise<void> {
    this.store = undefined;
    await rm(this.gitdir, { recursive: true, force: true });
  }

  /** Run calls one at a time, each under the caller's signal and its own overall deadline. */
  private serialized<T>(callerSignal: AbortSignal | undefined, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const deadline = AbortSignal.timeout(this.options.fetchTimeoutMs);
      const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
      try {
        signal.throwIfAborted();
        return await operation(signal);
      } catch (error) {
        if (callerSignal?.aborted) {
          throw new GitSourceError(GitErrorCode.Aborted, `Fetching from ${this.options.url} was aborted`, { cause: error, hint: 'The agent is stopping; nothing was stored.' });
        }
        if (deadline.aborted) {
          throw new GitSourceError(GitErrorCode.Timeout, `Fetching from ${this.options.url} did not finish within the ${this.options.fetchTimeoutMs} ms deadline`, {
            cause: error,
            hint: 'The server or the network is too slow (or sends data in a trickle); nothing was stored and the last good revision stays applied. Raise fetchTimeoutMs if the repository is that large.',
          });
        }
        throw error;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function createTransport(options: ResolvedGitSourceOptions, log: Logger): Transport {
  const { address, timeoutMs } = options;
  if (address.kind === 'http') return new HttpTransport(address.url, createGitHttpClient({ caPem: options.caPem, timeoutMs }), log);
  return new SshTransport({ address, knownHostsFile: options.knownHostsFile!, timeoutMs, displayUrl: options.url });
}

const LFS_POINTER_START = Buffer.from('version https://git-lfs.github.com/spec/');
/** Pointer files are small (about 130 bytes); git-lfs never makes one larger than this. */
const LFS_POINTER_MAX_SIZE = 1024;

/** Files that are Git LFS pointers; looked for only when a .gitattributes sets the lfs filter. */
async function lfsPointerPaths(reader: TreeReader, entries: RepoEntry[]): Promise<string[]> {
  const attributes = entries.filter((entry) => entry.kind === 'file' && (entry.path === '.gitattributes' || entry.path.endsWith('/.gitattributes')));
  const usesLfs = await Promise.all(attributes.map(async (entry) => Buffer.from(await reader.read(entry.path)).includes('filter=lfs')));
  if (!usesLfs.includes(true)) return [];
  const pointers: string[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'file' || entry.size < LFS_POINTER_START.length || entry.size > LFS_POINTER_MAX_SIZE) continue;
    if (Buffer.from(await reader.read(entry.path)).subarray(0, LFS_POINTER_START.length).equals(LFS_POINTER_START)) pointers.push(entry.path);
  }
  return pointers;
}

/** The root tree of a raw commit object (its first header line). */
function treeOf(rawCommit: Buffer): string {
  const match = /^tree ([0-9a-f]{40})\n/.exec(rawCommit.toString('latin1', 0, 46));
  if (!match?.[1]) throw new GitSourceError(GitErrorCode.Cache, 'A cached commit has no tree header', { hint: 'Delete the git cache directory.' });
  return match[1];
}
