import type { LoadedCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { HttpStatusError } from './http-transport.js';
import type { ObjectStore } from './object-store.js';
import { ProtocolError } from './pkt-line.js';
import { RemoteCommandError } from './ssh-transport.js';
import type { Transport } from './transport.js';
import { IncomingPackFile } from './incoming-pack-file.js';
import { readResult, uploadPackRequest, type UploadPackResult } from './upload-pack.js';

/** What every request to the remote needs. */
export interface RemoteContext {
  transport: Transport;
  /** The repository URL as configured (never holds credentials). */
  url: string;
  branch: string;
  credentials: LoadedCredentials;
  /** A pack longer than this is refused while it arrives. */
  maxPackBytes: number;
  /** Aborts the fetch (its requests and the indexing of its pack). */
  signal?: AbortSignal;
}

/** Local ref that records the branch head last fetched into the cache. */
export function trackingRef(branch: string): string {
  return `refs/remotes/origin/${branch}`;
}

/**
 * The commit the remote branch points to: under protocol v2 one `ls-refs` for the branch
 * alone; under v0 the whole ref advertisement.
 */
export async function remoteBranchHead(remote: RemoteContext): Promise<string> {
  const { head } = await listBranch(remote);
  return head;
}

/**
 * Fetch the branch head into the cache, `depth` commits deep, or deepen the history
 * already there by `depth` commits when `relative`. The ref listing, then the pack request,
 * skipped when the cache holds the head already.
 * The pack is indexed natively: isomorphic-git's JavaScript indexer made a fresh sync
 * several times slower than `git clone`.
 * @returns the fetched branch head
 */
export async function fetchBranch(remote: RemoteContext, store: ObjectStore, options: { depth: number; relative: boolean }): Promise<string> {
  const { head, advertisement } = await listBranch(remote);
  if (!options.relative && store.has(head)) {
    await store.writeRef(trackingRef(remote.branch), head);
    return head;
  }
  const tracked = await store.readRef(trackingRef(remote.branch));
  const shallows = await store.readShallow();
  let result: UploadPackResult = { packReceived: false, shallow: [], unshallow: [] };
  await describeFailure(remote, () => store.receivePack(remote.url, async (packFile) => {
    const request = uploadPackRequest({
      want: head,
      // The last fetched head is offered as a "have": only objects new since then come.
      haves: tracked && store.has(tracked) ? [tracked] : [],
      shallows: [...shallows],
      depth: options.depth,
      relative: options.relative,
    }, advertisement);
    const reader = await remote.transport.uploadPack(request, advertisement.version, remote.credentials, remote.signal);
    const pack = new IncomingPackFile(packFile, remote.maxPackBytes, remote.url);
    try {
      result = await readResult(reader, pack, remote.url);
    } finally {
      await pack.close();
    }
    return result.packReceived;
  }, { signal: remote.signal, mustHold: options.relative ? undefined : head }));
  for (const oid of result.shallow) shallows.add(oid);
  for (const oid of result.unshallow) shallows.delete(oid);
  await store.writeShallow(shallows);
  await store.writeRef(trackingRef(remote.branch), head);
  return head;
}

async function listBranch(remote: RemoteContext) {
  const fullRef = `refs/heads/${remote.branch}`;
  const { refs, advertisement } = await describeFailure(remote, () => remote.transport.listRefs(fullRef, remote.credentials, remote.signal));
  const head = refs.get(fullRef);
  if (!head) throw branchMissing(remote);
  return { head, advertisement };
}

function branchMissing(remote: RemoteContext): GitSourceError {
  return new GitSourceError(GitErrorCode.NotFound, `Branch ${remote.branch} does not exist in ${remote.url}`, {
    hint: 'Check the branch name in the agent configuration, and that it has been pushed.',
  });
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'EPROTO',
]);
const CACHE_CODES = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EDQUOT', 'EMFILE']);

/** Run a remote operation and turn whatever fails into a GitSourceError without secrets. */
async function describeFailure<T>(remote: RemoteContext, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw classify(error, remote);
  }
}

function classify(error: unknown, remote: RemoteContext): GitSourceError {
  if (error instanceof GitSourceError) return error;
  const code = String((error as { code?: unknown }).code ?? '');
  const detail = remote.credentials.scrub(error instanceof Error ? error.message : String(error));
  const cause = new Error(detail);
  const repo = remote.url;

  if (error instanceof HttpStatusError) {
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      return new GitSourceError(GitErrorCode.AuthFailed, `${repo} refused the credentials (HTTP ${status})`, {
        status, cause, hint: 'Check the token or password the agent reads, and that it grants read access to the repository.',
      });
    }
    if (status === 407) {
      return new GitSourceError(GitErrorCode.AuthFailed, `The HTTP proxy refused to connect to ${repo} (HTTP 407)`, {
        status, cause, hint: 'Give the proxy credentials in the proxy URL (HTTPS_PROXY=http://user:password@proxy:port), or exempt the git server with NO_PROXY.',
      });
    }
    if (status === 404) {
      return new GitSourceError(GitErrorCode.NotFound, `${repo} does not exist (HTTP 404)`, {
        status, cause, hint: 'Check the repository URL; some servers answer 404 when credentials are missing.',
      });
    }
    return new GitSourceError(GitErrorCode.ServerError, `${repo} answered HTTP ${status}`, {
      status, cause, hint: 'The git server is failing; the agent retries and keeps the last good revision meanwhile.',
    });
  }
  if (error instanceof RemoteCommandError) {
    return new GitSourceError(GitErrorCode.NotFound, `${repo}: the server's git-upload-pack refused: ${detail}`, {
      cause, hint: 'Check the repository path in the URL, and that the deploy key has read access to it.',
    });
  }
  if (error instanceof ProtocolError) {
    return new GitSourceError(GitErrorCode.GarbageResponse, `${repo} did not answer with the git protocol`, {
      cause, hint: 'Check that the URL points at a git repository and that no proxy or login page answers instead.',
    });
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) {
    return new GitSourceError(GitErrorCode.Tls, `TLS with ${repo} failed: ${detail}`, {
      cause, hint: 'Give the agent the CA bundle that issued the server certificate (caFile).',
    });
  }
  if (CACHE_CODES.has(code)) {
    return new GitSourceError(GitErrorCode.Cache, `Writing what ${repo} sent into the cache failed: ${detail}`, {
      cause, hint: 'Check that the cache directory is writable and its volume has free space.',
    });
  }
  if (UNREACHABLE_CODES.has(code)) {
    return new GitSourceError(GitErrorCode.Unreachable, `${repo} is unreachable (${code})`, {
      cause, hint: 'Check the network path to the git server; the agent retries and keeps the last good revision meanwhile.',
    });
  }
  return new GitSourceError(GitErrorCode.GarbageResponse, `Talking to ${repo} failed: ${detail}`, {
    cause, hint: 'Unexpected answer from the git server; check the server and any proxy in between.',
  });
}
