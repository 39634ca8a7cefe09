import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseRepositoryUrl } from '@netfleet/git/repository-url';
import { FsRepoReader, createLogger, type RepoReader } from '@netfleet/shared';
import type { CliIO } from './command.js';

/**
 * `--repo <url|dir>` means the same for every command: an https or SSH URL of the fleet
 * repository (its branch head, fetched with the agent's git source and credentials), or a
 * local directory. These are the flags that reach a remote.
 */
export function addRepositoryOptions(command: Command): Command {
  return command
    .option('--branch <name>', 'branch of a remote repository (default main)')
    .option('--git-token-file <file>', 'file holding the git access token')
    .option('--git-ca-file <file>', 'PEM file of CA certificates for the git server')
    .option('--git-ssh-key-file <file>', 'SSH repositories: file holding the private deploy key')
    .option('--git-ssh-passphrase-file <file>', 'SSH repositories: file holding the deploy key\'s passphrase')
    .option('--git-ssh-known-hosts-file <file>', 'SSH repositories: known_hosts file with the server\'s host key (required)');
}

/** One revision of the fleet repository, open until `close` (a remote's files stay in a cache until then). */
export interface OpenRepository {
  reader: RepoReader;
  /** The commit read, for a remote; a directory has none. */
  revision?: string;
  close(): Promise<void>;
}

/** Opens `--repo`: a local directory as it is, a remote's branch head fetched into a temporary cache. */
export async function openFleetRepository(options: Record<string, unknown>, io: CliIO): Promise<OpenRepository> {
  const repo = String(options.repo);
  if (parseRepositoryUrl(repo) === undefined) return { reader: new FsRepoReader(repo), close: async () => undefined };
  // Loaded only for a remote: the git source is most of what a local render would not need.
  const { remoteSource } = await import('@netfleet/agent/daemon/build');
  const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-repo-'));
  const text = (name: string) => (options[name] === undefined ? undefined : String(options[name]));
  const source = remoteSource({
    repo, branch: text('branch') ?? 'main', cacheDir,
    gitTokenFile: text('gitTokenFile'), gitCaFile: text('gitCaFile'),
    gitSshKeyFile: text('gitSshKeyFile'), gitSshPassphraseFile: text('gitSshPassphraseFile'), gitSshKnownHostsFile: text('gitSshKnownHostsFile'),
  }, createLogger({ name: 'repository', level: 'warn', destination: io.stderr }));
  const close = async () => {
    source.close();
    await rm(cacheDir, { recursive: true, force: true });
  };
  try {
    const snapshot = await source.snapshot();
    return { reader: snapshot.reader, revision: snapshot.revision, close };
  } catch (error) {
    await close();
    throw error;
  }
}
