import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@netfleet/shared';
// A module import, not a file read at run time, so the bundle carries the version.
import agentPackage from '../../package.json' with { type: 'json' };
import { AssignmentClient, type AssignmentTarget } from '../assignment/index.js';
import type { AgentEvents } from '../events.js';
import { connectToHub } from '../report/connect.js';
import { GitSource } from '@netfleet/git';
import type { AgentMetrics } from './metrics.js';
import type { AgentOptions } from './options.js';
import { directoryFleetSource, gitFleetSource, type PolledSource } from './sources.js';

/** True when `repo` names a git remote rather than a local directory. */
export function isRemote(repo: string): boolean {
  return /^https?:\/\//.test(repo);
}

/** The fleet source the options describe: a git remote or a local directory. */
export async function buildSource(options: AgentOptions, logger: Logger, metrics?: AgentMetrics): Promise<{ source: PolledSource; close(): void }> {
  if (!isRemote(options.repo)) return { source: directoryFleetSource(options.repo), close: () => undefined };
  const keys = await Promise.all(options.trustedKeys.map((file) => readFile(file, 'utf8')));
  const git = new GitSource({
    url: options.repo,
    branch: options.branch,
    cacheDir: options.cacheDir,
    ...(options.gitTokenFile ? { auth: { token: { file: options.gitTokenFile } } } : {}),
    ...(options.gitCaFile ? { caFile: options.gitCaFile } : {}),
    verification: {
      mode: options.verify,
      openpgpKeys: keys.filter((key) => key.includes('BEGIN PGP PUBLIC KEY')),
      sshKeys: keys.filter((key) => !key.includes('BEGIN PGP PUBLIC KEY')).flatMap((key) => key.split('\n').filter((line) => line.trim())),
    },
    logger,
  });
  return { source: gitFleetSource(git, metrics), close: () => git.close() };
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
