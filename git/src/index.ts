/**
 * The agent's git source: fetch the fleet repository over HTTP(S) into an on-disk cache,
 * poll the branch cheaply, and hand out revisions as {@link RepoReader}s.
 *
 * ```ts
 * const source = new GitSource({ url, branch: 'main', cacheDir: '/var/lib/netfleet/git',
 *   auth: { token: { file: '/etc/netfleet/git-token' } } });
 * const { changed, revision } = await source.poll();
 * if (changed) { const snapshot = await source.snapshot(revision); render(snapshot.reader); }
 * ```
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
export { LocalRevisions } from './local-revisions.js';
