import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './git-cli.js';

/** A key that signs commits through the real git CLI, with what verifiers need to trust it. */
export interface CommitSigner {
  readonly format: 'openpgp' | 'ssh';
  /** The public key: armored OpenPGP, or an OpenSSH `authorized_keys` line. */
  readonly publicKey: string;
  /**
   * OpenPGP: the 40-hex fingerprint of the primary key. SSH: `SHA256:...` as
   * `ssh-keygen -l` prints it.
   */
  readonly fingerprint: string;
  /** OpenPGP: 16-hex id of the key that makes signatures (a subkey when asked). SSH: the fingerprint. */
  readonly signingKeyId: string;
  /** `git -c` settings that make `git commit -S` sign with this key. */
  readonly gitConfig: Record<string, string>;
  /** Environment git needs to sign and verify (GNUPGHOME for OpenPGP). */
  readonly env: Record<string, string>;
  /** `git -c` settings that make `git verify-commit` trust this key. */
  readonly verifyConfig: Record<string, string>;
  /** Stop the key's agent and delete its directory. */
  dispose(): Promise<void>;
}

export interface GpgSignerOptions {
  /** User id, default `Fleet Signer <signer@netfleet.test>`. */
  userId?: string;
  /** Sign with a dedicated signing subkey instead of the primary key. Default false. */
  subkey?: boolean;
}

/** Generate an ed25519 OpenPGP key without passphrase in its own GNUPGHOME. */
export async function createGpgSigner(options: GpgSignerOptions = {}): Promise<CommitSigner> {
  const home = await mkdtemp(join(tmpdir(), 'nf-gpg-'));
  const env = { GNUPGHOME: home };
  const gpg = (args: string[]) => runTool('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { env });
  const userId = options.userId ?? 'Fleet Signer <signer@netfleet.test>';
  await gpg(['--quick-gen-key', userId, 'ed25519', options.subkey ? 'cert' : 'cert,sign', 'never']);
  const fingerprint = primaryFingerprint(await gpg(['--with-colons', '--list-keys', userId]));
  if (options.subkey) await gpg(['--quick-add-key', fingerprint, 'ed25519', 'sign', 'never']);
  const listing = await gpg(['--with-colons', '--list-keys', fingerprint]);
  const signingKeyId = options.subkey ? subkeyId(listing) : fingerprint.slice(-16);
  const publicKey = await gpg(['--armor', '--export', fingerprint]);
  return {
    format: 'openpgp',
    publicKey,
    fingerprint,
    signingKeyId,
    // The trailing `!` makes gpg use exactly that (sub)key.
    gitConfig: { 'gpg.format': 'openpgp', 'user.signingkey': `${signingKeyId}!` },
    env,
    verifyConfig: { 'gpg.format': 'openpgp' },
    async dispose() {
      await runTool('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

function primaryFingerprint(colons: string): string {
  const lines = colons.split('\n');
  const pub = lines.findIndex((line) => line.startsWith('pub:'));
  const fpr = lines.slice(pub).find((line) => line.startsWith('fpr:'));
  if (pub < 0 || !fpr) throw new Error(`no primary key in gpg output:\n${colons}`);
  return fpr.split(':')[9] ?? '';
}

function subkeyId(colons: string): string {
  const sub = colons.split('\n').find((line) => line.startsWith('sub:'));
  if (!sub) throw new Error(`no subkey in gpg output:\n${colons}`);
  return sub.split(':')[4] ?? '';
}

export interface SshSignerOptions {
  /** Key type, default ed25519. */
  type?: 'ed25519' | 'ecdsa' | 'rsa';
  /** Principal named in the allowed-signers file, default `signer@netfleet.test`. */
  principal?: string;
}

/** Generate an SSH key without passphrase for `gpg.format ssh` signing. */
export async function createSshSigner(options: SshSignerOptions = {}): Promise<CommitSigner> {
  const dir = await mkdtemp(join(tmpdir(), 'nf-ssh-'));
  const type = options.type ?? 'ed25519';
  const principal = options.principal ?? 'signer@netfleet.test';
  const keyFile = join(dir, `id_${type}`);
  const sizeArgs = type === 'rsa' ? ['-b', '2048'] : [];
  await runTool('ssh-keygen', ['-q', '-t', type, ...sizeArgs, '-N', '', '-C', principal, '-f', keyFile]);
  const publicKey = (await readFile(`${keyFile}.pub`, 'utf8')).trim();
  const fingerprint = (await runTool('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${keyFile}.pub`])).split(' ')[1] ?? '';
  const allowedSigners = join(dir, 'allowed_signers');
  await writeFile(allowedSigners, `${principal} namespaces="git" ${publicKey}\n`);
  return {
    format: 'ssh',
    publicKey,
    fingerprint,
    signingKeyId: fingerprint,
    gitConfig: { 'gpg.format': 'ssh', 'user.signingkey': keyFile },
    env: {},
    verifyConfig: { 'gpg.format': 'ssh', 'gpg.ssh.allowedSignersFile': allowedSigners },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `git -c` arguments from a settings map. */
export function configArgs(settings: Record<string, string>): string[] {
  return Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}
