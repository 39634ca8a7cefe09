/**
 * The git source of the agent and the hub: fetch the fleet repository over HTTP(S) (through
 * the environment's proxy, following safe redirects) or SSH (deploy key, known_hosts) into
 * an on-disk cache, poll the branch cheaply (protocol v2 `ls-refs`), and hand out revisions
 * as {@link RepoReader}s.
 *
 * ```ts
 * const source = new GitSource({ url, branch: 'main', cacheDir: '/var/lib/netfleet/git',
 *   auth: { token: { file: '/etc/netfleet/git-token' } } });
 * const { changed, revision } = await source.poll();
 * if (changed) { const snapshot = await source.snapshot(revision); render(snapshot.reader); }
 * ```
 *
 * `LocalRevisions` (`@netfleet/git/local-revisions`, for `netfleet preview`) is not exported
 * here: it brings isomorphic-git and pako, which the agent, loading this index, does not need.
 * @module
 */
export { GitSource, type PollResult, type Snapshot } from './git-source.js';
export {
  GIT_SOURCE_DEFAULTS, type GitSourceOptions, type VerificationMode, type VerificationOptions,
} from './options.js';
export type { GitAuthOptions, SecretSource } from './credentials.js';
export { GitErrorCode, GitSourceError } from './errors.js';
export { SignatureRefusedError } from './signature-verifier.js';
export type { SignatureStatus, SignatureVerification } from './signature-types.js';
export type { SignatureFormat } from './commit-signature.js';
export { parseRepositoryUrl, type RepositoryAddress } from './repository-url.js';
