import git from 'isomorphic-git';
import type { LoadedCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import type { GitHttpClient } from './http-client.js';
import type { ObjectStore } from './object-store.js';
import { HttpStatusError, ProtocolError, requestPack, type UploadPackResult } from './upload-pack.js';

/** What every request to the remote needs. */
export interface RemoteContext {
  http: GitHttpClient;
  /** The repository URL (never holds credentials: they travel in `credentials.headers`). */
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
 * The commit the remote branch points to, from one ref advertisement (protocol v1
 * answers `info/refs` with the refs, so this is exactly one HTTP request).
 */
export async function remoteBranchHead(remote: RemoteContext): Promise<string> {
  const fullRef = `refs/heads/${remote.branch}`;
  const refs = await describeFailure(remote, () => git.listServerRefs({
    http: remote.http,
    url: remote.url,
    headers: remote.credentials.headers,
    protocolVersion: 1,
    prefix: fullRef,
  }));
  const head = refs.find((ref) => ref.ref === fullRef);
  if (!head) throw branchMissing(remote);
  return head.oid;
}

/**
 * Fetch the branch head into the cache, `depth` commits deep, or deepen the history
 * already there by `depth` commits when `relative`. Two requests: the ref advertisement
 * (isomorphic-git), then the pack, skipped when the cache holds the head already.
 * The pack is indexed natively: isomorphic-git's JavaScript indexer made a fresh sync
 * several times slower than `git clone`.
 * @returns the fetched branch head
 */
export async function fetchBranch(remote: RemoteContext, store: ObjectStore, options: { depth: number; relative: boolean }): Promise<string> {
  const fullRef = `refs/heads/${remote.branch}`;
  const info = await describeFailure(remote, () => git.getRemoteInfo2({
    http: remote.http, url: remote.url, headers: remote.credentials.headers, protocolVersion: 1,
  }));
  const head = info.refs?.find((ref) => ref.ref === fullRef)?.oid;
  if (!head) throw branchMissing(remote);

  if (!options.relative && store.has(head)) {
    await store.writeRef(trackingRef(remote.branch), head);
    return head;
  }
  const tracked = await store.readRef(trackingRef(remote.branch));
  const shallows = await store.readShallow();
  let result: UploadPackResult = { packReceived: false, shallow: [], unshallow: [] };
  await describeFailure(remote, () => store.receivePack(remote.url, async (packFile) => {
    result = await requestPack(remote.http, {
      url: remote.url,
      headers: remote.credentials.headers,
      serverCapabilities: new Set(Object.keys(info.capabilities)),
      want: head,
      // The last fetched head is offered as a "have": only objects new since then come.
      haves: tracked && store.has(tracked) ? [tracked] : [],
      shallows: [...shallows],
      depth: options.depth,
      relative: options.relative,
      packFile,
      maxPackBytes: remote.maxPackBytes,
    });
    return result.packReceived;
  }, { signal: remote.signal, mustHold: options.relative ? undefined : head }));
  for (const oid of result.shallow) shallows.add(oid);
  for (const oid of result.unshallow) shallows.delete(oid);
  await store.writeShallow(shallows);
  await store.writeRef(trackingRef(remote.branch), head);
  return head;
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
const GARBAGE_CODES = new Set(['SmartHttpError', 'ParseError', 'EmptyServerResponseError', 'InternalError', 'DecompressionError']);

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

  if (code === 'HttpError' || error instanceof HttpStatusError) {
    const status = error instanceof HttpStatusError ? error.statusCode : Number((error as { data?: { statusCode?: number } }).data?.statusCode ?? 0);
    if (status === 401 || status === 403) {
      return new GitSourceError(GitErrorCode.AuthFailed, `${repo} refused the credentials (HTTP ${status})`, {
        status, cause, hint: 'Check the token or password the agent reads, and that it grants read access to the repository.',
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
  if (code === 'NotFoundError') return branchMissing(remote);
  if (GARBAGE_CODES.has(code) || error instanceof ProtocolError) {
    return new GitSourceError(GitErrorCode.GarbageResponse, `${repo} did not answer with the git smart-HTTP protocol`, {
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
