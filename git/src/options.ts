import { readFileSync } from 'node:fs';
import type { Logger } from '@netfleet/shared/log';
import type { GitAuthOptions } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { parseRepositoryUrl, type RepositoryAddress } from './repository-url.js';

/** What to do with commit signatures. */
export type VerificationMode =
  /** Do not look at signatures. */
  | 'off'
  /** Verify, log a warning for anything not trusted, and apply anyway. */
  | 'warn'
  /** Verify and refuse any revision that is not signed by a trusted key. */
  | 'enforce';

export interface VerificationOptions {
  /** Default `off`. */
  mode?: VerificationMode;
  /** Trusted OpenPGP public keys, ASCII-armored (one key or a keyring per string). */
  openpgpKeys?: string[];
  /**
   * Trusted SSH public keys, as `authorized_keys` lines (`ssh-ed25519 AAAA... comment`)
   * or git `allowed_signers` lines (`principal [namespaces="git"] ssh-ed25519 AAAA...`).
   */
  sshKeys?: string[];
}

export interface GitSourceOptions {
  /**
   * Repository URL: `https://` (or `http://`), `ssh://[user@]host[:port]/path` or
   * `[user@]host:path`. Credentials go in `auth`, never in the URL. HTTP(S) goes through
   * the proxy that `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` name.
   */
  url: string;
  /** Branch to follow. Default `main`. */
  branch?: string;
  /** Directory of the on-disk object store; reused across restarts. Created when missing. */
  cacheDir: string;
  /** Credentials, read from a file or an environment variable. Default: anonymous. */
  auth?: GitAuthOptions;
  /** PEM file of CA certificates trusted for HTTPS, on top of the system roots. */
  caFile?: string;
  /** SSH URLs: the known_hosts file that must hold the server's host key (no trust on first use). */
  knownHostsFile?: string;
  /** Commits fetched below the branch head. Default 1 (shallow). */
  depth?: number;
  /**
   * How far below the branch head a requested revision (a rollback) may be, in commits;
   * the history is deepened step by step up to this. Default 1000.
   */
  maxDepth?: number;
  /** Abort a request when the server stays silent this long, in ms. Default 30000. */
  timeoutMs?: number;
  /**
   * Overall deadline of one poll or snapshot, in ms, however steadily the server sends:
   * a server dripping bytes is cut off here. Default 300000 (5 minutes).
   */
  fetchTimeoutMs?: number;
  /**
   * The largest object (file, tree, commit) accepted from the server, in bytes; larger ones
   * fail the fetch with AGENT_GIT_TOO_LARGE. Memory use follows it. Default 100 MiB (the
   * largest file GitHub accepts).
   */
  maxObjectBytes?: number;
  /** The largest pack accepted from the server in one fetch, in bytes (it is written to the cache volume). Default 1 GiB. */
  maxPackBytes?: number;
  /** Commit signature verification. Default: off. */
  verification?: VerificationOptions;
  /** Where the source logs. Default: a logger named `agent-git`. */
  logger?: Logger;
}

/** Options with every default applied, in one place. */
export interface ResolvedGitSourceOptions {
  url: string;
  address: RepositoryAddress;
  knownHostsFile: string | undefined;
  branch: string;
  cacheDir: string;
  auth: GitAuthOptions | undefined;
  caPem: string | undefined;
  depth: number;
  maxDepth: number;
  timeoutMs: number;
  fetchTimeoutMs: number;
  maxObjectBytes: number;
  maxPackBytes: number;
  verification: Required<VerificationOptions>;
  logger: Logger | undefined;
}

export const GIT_SOURCE_DEFAULTS = {
  branch: 'main',
  depth: 1,
  maxDepth: 1000,
  timeoutMs: 30_000,
  fetchTimeoutMs: 300_000,
  maxObjectBytes: 100 * 1024 * 1024,
  maxPackBytes: 1024 * 1024 * 1024,
  verificationMode: 'off' as VerificationMode,
};

/** Check the options and apply the defaults; bad values fail with AGENT_GIT_CONFIG. */
export function resolveGitSourceOptions(options: GitSourceOptions): ResolvedGitSourceOptions {
  const address = parseRepositoryUrl(options.url);
  if (!address) {
    throw configError(`url "${options.url}" is not a repository URL`, 'Use https://host/path/repo.git, ssh://git@host/path/repo.git or git@host:path/repo.git.');
  }
  if (address.kind === 'http') {
    const url = new URL(address.url);
    if (url.username || url.password) {
      // Refused rather than stripped: a secret in a URL ends up in logs and process listings.
      throw configError('url must not contain credentials', 'Remove them from the URL and configure auth with a token file or environment variable.');
    }
    if (options.auth && 'sshKey' in options.auth) throw configError('an SSH key is configured for an https URL', 'Use the ssh:// URL of the repository, or a token.');
  } else {
    if (/^[a-z+]+:\/\/[^/@]*:[^/@]*@/i.test(options.url)) throw configError('url must not contain a password', 'SSH URLs name only the user (usually git); the key goes in auth.sshKey.');
    if (!options.auth || !('sshKey' in options.auth)) throw configError('an SSH URL needs an SSH key in auth.sshKey', 'Give the deploy key file (sshKey), or use the https:// URL with a token.');
    if (!options.knownHostsFile) throw configError('an SSH URL needs a knownHostsFile', 'Mount a known_hosts file holding the git server\'s host key; servers are never trusted on first use.');
  }
  const depth = options.depth ?? GIT_SOURCE_DEFAULTS.depth;
  const maxDepth = options.maxDepth ?? GIT_SOURCE_DEFAULTS.maxDepth;
  if (!Number.isInteger(depth) || depth < 1) throw configError(`depth must be a positive integer, got ${depth}`, 'Use 1 for a shallow fetch.');
  if (!Number.isInteger(maxDepth) || maxDepth < depth) throw configError(`maxDepth must be an integer >= depth (${depth}), got ${maxDepth}`, 'Use the default 1000.');
  const limits = {
    fetchTimeoutMs: options.fetchTimeoutMs ?? GIT_SOURCE_DEFAULTS.fetchTimeoutMs,
    maxObjectBytes: options.maxObjectBytes ?? GIT_SOURCE_DEFAULTS.maxObjectBytes,
    maxPackBytes: options.maxPackBytes ?? GIT_SOURCE_DEFAULTS.maxPackBytes,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw configError(`${name} must be a positive integer, got ${value}`, `Leave it out for the default (${GIT_SOURCE_DEFAULTS[name as keyof typeof limits]}).`);
  }
  const verification = options.verification ?? {};
  const mode = verification.mode ?? GIT_SOURCE_DEFAULTS.verificationMode;
  if (!['off', 'warn', 'enforce'].includes(mode)) throw configError(`verification mode must be off, warn or enforce, got ${mode}`, 'Use enforce for production fleets.');
  const openpgpKeys = verification.openpgpKeys ?? [];
  const sshKeys = verification.sshKeys ?? [];
  if (mode === 'enforce' && openpgpKeys.length + sshKeys.length === 0) {
    throw configError('verification mode enforce needs at least one trusted key', 'Add openpgpKeys or sshKeys, or use mode warn.');
  }
  return {
    url: options.url,
    address,
    knownHostsFile: options.knownHostsFile,
    branch: options.branch ?? GIT_SOURCE_DEFAULTS.branch,
    cacheDir: options.cacheDir,
    auth: options.auth,
    caPem: options.caFile ? readCaFile(options.caFile) : undefined,
    depth,
    maxDepth,
    timeoutMs: options.timeoutMs ?? GIT_SOURCE_DEFAULTS.timeoutMs,
    ...limits,
    verification: { mode, openpgpKeys, sshKeys },
    logger: options.logger,
  };
}

function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(`caFile ${path} cannot be read (${(error as NodeJS.ErrnoException).code})`, 'Mount the CA bundle at this path.');
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw configError(`caFile ${path} holds no PEM certificate`, 'The file must contain one or more -----BEGIN CERTIFICATE----- blocks.');
  }
  return pem;
}

function configError(message: string, hint: string): GitSourceError {
  return new GitSourceError(GitErrorCode.Config, `Git source: ${message}`, { hint });
}
