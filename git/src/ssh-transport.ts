import { readFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import type { Client, ClientChannel, ServerHostKeyAlgorithm } from 'ssh2';
import { lsRefsRequest, readAdvertisement, readLsRefs, type Advertisement, type ProtocolVersion } from './advertisement.js';
import type { LoadedCredentials } from './credentials.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import { KnownHosts } from './known-hosts.js';
import { FLUSH, PktLineReader } from './pkt-line.js';
import type { RepositoryAddress } from './repository-url.js';
import type { RefListing, Transport } from './transport.js';

export interface SshTransportOptions {
  address: Extract<RepositoryAddress, { kind: 'ssh' }>;
  /** The known_hosts file the server's host key must be in; re-read on every connection. */
  knownHostsFile: string;
  /** Abort when the connection stays silent this long (ms). */
  timeoutMs: number;
  /** The URL as configured, for messages. */
  displayUrl: string;
}

/** `git-upload-pack` ended before answering; its standard error says why. */
export class RemoteCommandError extends Error {}

/** One `git-upload-pack` run on the server: its output, and how to end it. */
interface Session {
  reader: PktLineReader;
  advertisement: Advertisement;
  channel: ClientChannel;
}

/**
 * git-upload-pack over SSH (ssh2, pure JavaScript), authenticated with a deploy key.
 * The server's host key must be in the known_hosts file: there is no trust on first use.
 * Each operation is one connection running one `git-upload-pack` (as `git fetch` does);
 * protocol v2 is asked for with `GIT_PROTOCOL`, which servers take when they accept it.
 */
export class SshTransport implements Transport {
  private readonly open = new Set<Client>();
  /** What each git-upload-pack wrote to standard error (bounded: only its start is kept), and its end. */
  private readonly commands = new WeakMap<ClientChannel, { stderr: Buffer[]; closed: Promise<unknown> }>();

  constructor(private readonly options: SshTransportOptions) {}

  async listRefs(prefix: string, credentials: LoadedCredentials, signal?: AbortSignal): Promise<RefListing> {
    const session = await this.start(credentials, signal);
    const { advertisement, channel, reader } = session;
    if (advertisement.version === 0) {
      // A flush-pkt instead of wants ends a v0 conversation cleanly.
      channel.end(FLUSH);
      return { advertisement, refs: new Map([...advertisement.refs ?? []].filter(([name]) => name.startsWith(prefix))) };
    }
    channel.end(lsRefsRequest(prefix, advertisement));
    return { advertisement, refs: await this.failing(channel, readLsRefs(reader)) };
  }

  async uploadPack(request: Buffer, version: ProtocolVersion, credentials: LoadedCredentials, signal?: AbortSignal): Promise<PktLineReader> {
    const { advertisement, channel, reader } = await this.start(credentials, signal);
    if (advertisement.version !== version) {
      channel.close();
      throw new GitSourceError(GitErrorCode.GarbageResponse, `${this.options.displayUrl} changed its protocol version between two requests`, {
        hint: 'Try again; the agent retries on its own.',
      });
    }
    // End of input after the request: upload-pack answers it and exits, closing the stream.
    channel.end(request);
    return reader;
  }

  close(): void {
    for (const client of this.open) client.end();
    this.open.clear();
  }

  /** Connect, run git-upload-pack and read its advertisement; `signal` ends the connection. */
  private async start(credentials: LoadedCredentials, signal: AbortSignal | undefined): Promise<Session> {
    const { address, timeoutMs } = this.options;
    const key = credentials.sshKey;
    if (!key) {
      throw new GitSourceError(GitErrorCode.Config, `${this.options.displayUrl} is an SSH URL, but no SSH key is configured`, {
        hint: 'Configure auth with sshKey (a deploy key file), or use the https:// URL with a token.',
      });
    }
    // Calls are serialized: a connection still open is left over from a failed operation.
    this.close();
    const knownHosts = await this.readKnownHosts();
    // Loaded at the first SSH connection: an agent on an https:// repository never needs
    // ssh2, whose crypto (a WebAssembly module among it) costs memory from the moment it loads.
    const { Client: SshClient } = await import('ssh2');
    const client = new SshClient();
    this.open.add(client);
    client.on('close', () => this.open.delete(client));
    let verdict: ReturnType<KnownHosts['verify']> | undefined;
    signal?.throwIfAborted();
    const socket = connectTcp({ host: address.host, port: address.port });
    socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    const abort = () => socket.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('close', () => signal?.removeEventListener('abort', abort));

    const ready = new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      // ssh2 may report more than one error for one failure (e.g. a timeout, then the lost
      // connection): the first one counts, and the listener stays so none goes unhandled.
      client.on('error', (error: Error & { level?: string }) => reject(this.connectionError(error, verdict)));
    });
    try {
      client.connect({
        sock: socket,
        username: address.username,
        privateKey: key.privateKey,
        ...(key.passphrase !== undefined ? { passphrase: key.passphrase } : {}),
        readyTimeout: timeoutMs,
        hostVerifier: (hostKey: Buffer) => {
          verdict = knownHosts.verify(address.host, address.port, hostKey);
          return verdict === 'trusted';
        },
        // Offer first the key types known_hosts holds, as OpenSSH does, so the server shows one of those.
        algorithms: { serverHostKey: preferredHostKeyTypes(knownHosts.keyTypes(address.host, address.port)) },
      });
    } catch (error) {
      socket.destroy();
      this.open.delete(client);
      throw new GitSourceError(GitErrorCode.AuthFailed, `The SSH key for ${this.options.displayUrl} cannot be used: ${(error as Error).message}`, {
        hint: 'Give an OpenSSH or PEM private key, and its passphrase when it is encrypted.',
      });
    }
    await ready.catch((error: unknown) => {
      client.end();
      throw error;
    });

    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(`git-upload-pack ${shellQuote(address.path)}`, { env: { GIT_PROTOCOL: 'version=2' } }, (error, stream) => {
        if (error) reject(error);
        else resolve(stream);
      });
    });
    const closed = new Promise((resolve) => channel.once('close', resolve));
    void closed.then(() => client.end());
    const stderr: Buffer[] = [];
    this.commands.set(channel, { stderr, closed });
    channel.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 16) stderr.push(chunk); });
    const reader = new PktLineReader(channel);
    const advertisement = await this.failing(channel, readAdvertisement(reader));
    return { reader, advertisement, channel };
  }

  /** When the remote command fails, its standard error (e.g. "repository not found") is the better message. */
  private async failing<T>(channel: ClientChannel, operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (error) {
      const command = this.commands.get(channel);
      if (!command) throw error;
      // Standard error is complete once the channel closed.
      await Promise.race([command.closed, new Promise((resolve) => setTimeout(resolve, this.options.timeoutMs).unref())]);
      const message = Buffer.concat(command.stderr).toString('utf8').trim();
      throw message ? new RemoteCommandError(message.slice(0, 500)) : error;
    }
  }

  private async readKnownHosts(): Promise<KnownHosts> {
    try {
      return KnownHosts.parse(await readFile(this.options.knownHostsFile, 'utf8'));
    } catch (error) {
      throw new GitSourceError(GitErrorCode.Config, `The SSH known_hosts file ${this.options.knownHostsFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'read failed'})`, {
        hint: 'Mount a known_hosts file holding the git server\'s host key (ssh-keyscan HOST, checked against the fingerprint the provider publishes).',
      });
    }
  }

  private connectionError(error: Error & { level?: string }, verdict: string | undefined): Error {
    const { address, displayUrl, knownHostsFile } = this.options;
    const hostName = address.port === 22 ? address.host : `[${address.host}]:${address.port}`;
    if (verdict === 'unknown-host') {
      return new GitSourceError(GitErrorCode.HostKey, `The SSH host ${hostName} of ${displayUrl} is not in ${knownHostsFile}`, {
        hint: `Add the server's host key to the known_hosts file (ssh-keyscan -p ${address.port} ${address.host}, checked against the fingerprint the provider publishes).`,
      });
    }
    if (verdict === 'mismatch' || verdict === 'revoked') {
      return new GitSourceError(GitErrorCode.HostKey, `The SSH host key of ${hostName} (${displayUrl}) does not match ${knownHostsFile}${verdict === 'revoked' ? ': it is revoked' : ''}`, {
        hint: 'Someone may be intercepting the connection, or the server\'s key changed: check the provider\'s published fingerprint before updating known_hosts.',
      });
    }
    // No handshake within the timeout: as unreachable as a silent HTTP server.
    if (error.level === 'client-timeout') return Object.assign(error, { code: 'ETIMEDOUT' });
    if (error.level === 'client-authentication') {
      return new GitSourceError(GitErrorCode.AuthFailed, `${displayUrl} refused the SSH key for user ${address.username}`, {
        hint: 'Check that the deploy key\'s public half is registered with read access to this repository, and that the URL\'s user name is right (usually git).',
      });
    }
    return error;
  }
}

/** Host key algorithms ssh2 offers, with the types known for this host first. */
function preferredHostKeyTypes(known: string[]): ServerHostKeyAlgorithm[] {
  const supported: ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  // An `ssh-rsa` key in known_hosts is shown with the SHA-2 signature algorithms.
  const wanted = known.flatMap((type) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]));
  return [...new Set([...supported.filter((type) => wanted.includes(type)), ...supported])];
}

/** Quote an argument for the remote shell as git does (sq_quote_buf). */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
