import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeFileError, type Logger } from '@netfleet/shared';
// A module import, not a file read at run time, so the bundle carries the version.
import agentPackage from '../../package.json' with { type: 'json' };
import { AssignmentClient, type AssignmentTarget } from '../assignment/index.js';
import { AgentConfigError } from '../errors.js';
import type { AgentEvents } from '../events.js';
import { connectToHub } from '../report/connect.js';
import { GitSource, parseRepositoryUrl, type GitAuthOptions } from '@netfleet/git';
import type { AgentMetrics } from './metrics.js';
import type { AgentOptions } from './options.js';
import { directoryFleetSource, gitFleetSource, type PolledSource } from './sources.js';

/** True when `repo` names a git remote (an https or SSH URL) rather than a local directory. */
export function isRemote(repo: string): boolean {
  return parseRepositoryUrl(repo) !== undefined;
}

/** What reaching a git remote takes: its URL, branch, cache and credentials. */
export type GitRemoteOptions = Pick<AgentOptions, 'repo' | 'branch' | 'cacheDir' | 'gitTokenFile' | 'gitCaFile' | 'gitSshKeyFile' | 'gitSshPassphraseFile' | 'gitSshKnownHostsFile'>;

/** A git source for the remote the options name, unverified (the agent adds signature checks). */
export function remoteSource(options: GitRemoteOptions, logger: Logger, verification?: ConstructorParameters<typeof GitSource>[0]['verification']): GitSource {
  return new GitSource({
    url: options.repo,
    branch: options.branch,
    cacheDir: options.cacheDir,
    ...gitAuth(options),
    ...(options.gitCaFile ? { caFile: options.gitCaFile } : {}),
    ...(options.gitSshKnownHostsFile ? { knownHostsFile: options.gitSshKnownHostsFile } : {}),
    ...(verification ? { verification } : {}),
    logger,
  });
}

/** The fleet source the options describe: a git remote or a local directory. */
export async function buildSource(options: AgentOptions, logger: Logger, metrics?: AgentMetrics): Promise<{ source: PolledSource; close(): void }> {
  if (!isRemote(options.repo)) return { source: directoryFleetSource(options.repo), close: () => undefined };
  const keys = await Promise.all(options.trustedKeys.map((file) => readFile(file, 'utf8').catch((cause: unknown) => {
    throw new AgentConfigError(`cannot read the trusted key ${file}: ${describeFileError(cause)}`, 'pass an existing public key file with --trusted-key');
  })));
  const git = remoteSource(options, logger, {
    mode: options.verify,
    openpgpKeys: keys.filter((key) => key.includes('BEGIN PGP PUBLIC KEY')),
    sshKeys: keys.filter((key) => !key.includes('BEGIN PGP PUBLIC KEY')).flatMap((key) => key.split('\n').filter((line) => line.trim())),
  });
  return { source: gitFleetSource(git, metrics), close: () => git.close() };
}

/** The deploy key for an SSH URL, else the token when one is given. */
function gitAuth(options: GitRemoteOptions): { auth?: GitAuthOptions } {
  if (options.gitSshKeyFile && parseRepositoryUrl(options.repo)?.kind === 'ssh') {
    const passphrase = options.gitSshPassphraseFile ? { passphrase: { file: options.gitSshPassphraseFile } } : {};
    return { auth: { sshKey: { file: options.gitSshKeyFile }, ...passphrase } };
  }
  return options.gitTokenFile ? { auth: { token: { file: options.gitTokenFile } } } : {};
}

/** The agent's version, as reported in heartbeats. */
export const AGENT_VERSION: string = agentPackage.version;

/**
 * Reports the daemon's events to the hub when the options name one; without a hub the
 * agent runs the same and this returns undefined.
 */
export async function connectHub(options: AgentOptions, events: AgentEvents, logger: Logger): Promise<{ close(): Promise<void> } | undefined> {
  if (!options.hubUrl || !options.hubCredentials) return undefined;
  return connectToHub(events, {
    hubUrl: options.hubUrl, credentialsFile: options.hubCredentials, spoolDir: options.spoolDir, agentVersion: AGENT_VERSION, logger,
  });
}

/**
 * Makes the daemon apply the revision the hub assigns when the options name a hub URL:
 * restores the saved assignment before the first sync, then follows the hub. Undefined
 * without a hub URL (the daemon follows the branch head).
 */
export async function followAssignments(options: AgentOptions, daemon: AssignmentTarget, logger: Logger): Promise<AssignmentClient | undefined> {
  if (!options.hubUrl || !options.hubCredentials) return undefined;
  const client = new AssignmentClient(daemon, {
    hubUrl: options.hubUrl, credentialsFile: options.hubCredentials, stateFile: join(options.spoolDir, 'assignment.json'), logger,
  });
  await client.start();
  return client;
}
