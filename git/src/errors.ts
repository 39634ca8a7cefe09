// Subpath imports keep the agent's git source free of the shared package's schema modules.
import { NetfleetError } from '@netfleet/shared/errors';

/** Stable codes of the git source's errors. */
export enum GitErrorCode {
  /** The source options are unusable (bad URL, credentials in the URL, unreadable CA file...). */
  Config = 'AGENT_GIT_CONFIG',
  /** The server refused the credentials (401/403, SSH key refused), or a secret could not be read. */
  AuthFailed = 'AGENT_GIT_AUTH_FAILED',
  /** The repository or the branch does not exist on the server (404, missing ref). */
  NotFound = 'AGENT_GIT_NOT_FOUND',
  /** No connection: refused, reset, DNS failure, timeout. */
  Unreachable = 'AGENT_GIT_UNREACHABLE',
  /** The TLS handshake failed: untrusted or mismatching certificate. */
  Tls = 'AGENT_GIT_TLS',
  /** The SSH server's host key is not the one known_hosts holds for it (or none is known). */
  HostKey = 'AGENT_GIT_HOST_KEY',
  /** The server redirected somewhere the source does not follow (another host with credentials, https to http). */
  RedirectRefused = 'AGENT_GIT_REDIRECT_REFUSED',
  /** The server answered with a 5xx or 429. */
  ServerError = 'AGENT_GIT_SERVER_ERROR',
  /** The server answered with something that is not the git protocol (smart HTTP or over SSH). */
  GarbageResponse = 'AGENT_GIT_GARBAGE_RESPONSE',
  /** A requested revision is not on the branch within the deepening limit. */
  RevisionNotFound = 'AGENT_GIT_REVISION_NOT_FOUND',
  /** Signature verification under `enforce` refused the revision. */
  SignatureRefused = 'AGENT_GIT_SIGNATURE_REFUSED',
  /** The on-disk cache could not be read or written. */
  Cache = 'AGENT_GIT_CACHE',
  /** The server sent a malformed pack or response (bad deltas, size lies, truncation, bad shallow lines). */
  InvalidPack = 'AGENT_GIT_INVALID_PACK',
  /** The server sent a pack or object above the configured limits. */
  TooLarge = 'AGENT_GIT_TOO_LARGE',
  /** A fetch did not finish within its overall deadline (`fetchTimeoutMs`). */
  Timeout = 'AGENT_GIT_TIMEOUT',
  /** The caller aborted the fetch (the agent is stopping). */
  Aborted = 'AGENT_GIT_ABORTED',
}

const TRANSIENT = new Set<GitErrorCode>([
  GitErrorCode.Unreachable, GitErrorCode.ServerError, GitErrorCode.GarbageResponse, GitErrorCode.InvalidPack, GitErrorCode.Timeout,
]);

/** An error of the git source. Messages name the repository without credentials. */
export class GitSourceError extends NetfleetError {
  declare readonly code: GitErrorCode;
  /** HTTP status when the server answered with an error status. */
  readonly status: number | undefined;

  constructor(code: GitErrorCode, message: string, options: { hint?: string; cause?: unknown; status?: number } = {}) {
    super(code, message, options);
    this.status = options.status;
  }

  /** True when trying again later may succeed without anyone changing anything. */
  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}
