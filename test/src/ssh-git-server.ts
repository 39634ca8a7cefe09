import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { runTool } from './git-cli.js';

const SSHD = process.env.NETFLEET_SSHD ?? '/usr/sbin/sshd';

/** A key pair made with ssh-keygen. */
export interface SshKeyPair {
  /** Path of the private key file. */
  privateKeyFile: string;
  /** The public key line (`ssh-ed25519 AAAA... comment`). */
  publicKey: string;
}

export interface SshGitServer {
  readonly port: number;
  /** The user the server lets in (the one running the tests: sshd runs no other). */
  readonly username: string;
  /** `ssh://USER@127.0.0.1:PORT/<name>.git` for a repository under `root`. */
  url(name: string): string;
  /** A known_hosts file with the server's real host key. */
  readonly knownHostsFile: string;
  /** A known_hosts file naming this host with another key (what an impostor would present). */
  readonly wrongKnownHostsFile: string;
  /** The deploy key the server accepts. */
  readonly deployKey: SshKeyPair;
  /** Make a key pair (with a passphrase when given); `authorize` lets it in too. */
  createKey(name: string, options?: { passphrase?: string; authorize?: boolean }): Promise<SshKeyPair>;
  /** Everything sshd logged (it runs with -e), for diagnosing a failing test. */
  log(): string;
  dispose(): Promise<void>;
}

/** True when sshd is installed (Debian openssh-server); `.ci/run` installs it. */
export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

/**
 * A real OpenSSH server on a loopback port, in the foreground as a child process, with its
 * own host key, serving only `git-upload-pack` for the bare repositories under `root`:
 * every authorized key has a forced command (a wrapper that honours SSH_ORIGINAL_COMMAND
 * within `root`), as hosting services do for deploy keys. `GIT_PROTOCOL` is accepted
 * from clients, so protocol v2 works as on GitHub.
 */
export async function startSshGitServer(root: string): Promise<SshGitServer> {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-sshd-'));
  // sshd insists on its privilege separation directory.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const username = userInfo().username;
  const hostKey = await keygen(join(dir, 'host_ed25519'), 'netfleet-test-host');
  const impostorKey = await keygen(join(dir, 'impostor_ed25519'), 'impostor');
  const wrapper = join(dir, 'serve-upload-pack.sh');
  await writeFile(wrapper, uploadPackWrapper(root), { mode: 0o755 });
  const authorizedKeys = join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, '', { mode: 0o600 });
  const authorize = async (key: SshKeyPair) => {
    const line = `command="${wrapper}",no-port-forwarding,no-pty,no-agent-forwarding,no-X11-forwarding ${key.publicKey}\n`;
    await writeFile(authorizedKeys, (await readFile(authorizedKeys, 'utf8')) + line);
  };
  const createKey: SshGitServer['createKey'] = async (name, options = {}) => {
    const key = await keygen(join(dir, name), name, options.passphrase ?? '');
    if (options.authorize) await authorize(key);
    return key;
  };
  const deployKey = await createKey('deploy_ed25519', { authorize: true });
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostKey.publicKey}\n`);
  const wrongKnownHostsFile = join(dir, 'known_hosts.wrong');
  await writeFile(wrongKnownHostsFile, `[127.0.0.1]:${port} ${impostorKey.publicKey}\n`);

  const config = join(dir, 'sshd_config');
  await writeFile(config, [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey.privateKeyFile}`, `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    // The temporary directory is not a home directory; the forced command is the guard.
    'StrictModes no', 'UsePAM no', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes', 'PermitRootLogin prohibit-password', 'AcceptEnv GIT_PROTOCOL', 'LogLevel VERBOSE',
    '',
  ].join('\n'));
  await chmod(dir, 0o700);

  let output = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForBanner(port, () => child.exitCode !== null, () => output);

  return {
    port, username, knownHostsFile, wrongKnownHostsFile, deployKey, createKey,
    url: (name) => `ssh://${username}@127.0.0.1:${port}/${name}.git`,
    log: () => output,
    async dispose() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function keygen(file: string, comment: string, passphrase = ''): Promise<SshKeyPair> {
  await runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
  return { privateKeyFile: file, publicKey: (await readFile(`${file}.pub`, 'utf8')).trim() };
}

/** The forced command: only `git-upload-pack '<path>'`, only for repositories under `root`. */
function uploadPackWrapper(root: string): string {
  return `#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  "git-upload-pack '"*"'") path=\${SSH_ORIGINAL_COMMAND#git-upload-pack \\'}; path=\${path%\\'} ;;
  *) echo "only git-upload-pack is served here" >&2; exit 1 ;;
esac
case "$path" in *..*|*"'"*) echo "ERROR: invalid repository path" >&2; exit 1 ;; esac
path=\${path#/}
if [ ! -d "${root}/$path" ]; then echo "ERROR: Repository not found." >&2; exit 1; fi
exec git-upload-pack "${root}/$path"
`;
}

/** Wait until sshd answers with its version banner (bounded; fails with sshd's own output). */
async function waitForBanner(port: number, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`sshd exited during start:\n${output()}`);
    const banner = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', (chunk) => { socket.destroy(); resolve(chunk.toString().startsWith('SSH-')); });
      socket.once('error', () => resolve(false));
    });
    if (banner) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not start within 30 s:\n${output()}`);
}
