import { open, type FileHandle } from 'node:fs/promises';
import { GitErrorCode, GitSourceError } from './errors.js';
import type { GitHttpClient } from './http-client.js';

/** The server answered with an HTTP error status. */
export class HttpStatusError extends Error {
  constructor(readonly statusCode: number, statusMessage: string) {
    super(`HTTP ${statusCode} ${statusMessage}`);
  }
}

/** The server's answer is not the git protocol (or reports a protocol error). */
export class ProtocolError extends Error {}

/** One fetch request of protocol v0/v1 over stateless smart HTTP. */
export interface UploadPackRequest {
  url: string;
  headers: Record<string, string>;
  /** Capabilities the server advertised. */
  serverCapabilities: ReadonlySet<string>;
  want: string;
  /** Commits the client has; the server leaves out what they reach. */
  haves: string[];
  /** The client's shallow commits (its history stops there). */
  shallows: string[];
  /** Commits of history wanted below `want`, or below the shallow commits when `relative`. */
  depth: number;
  relative: boolean;
  /** Where the pack is written as it arrives (created only when the server sends one). */
  packFile: string;
  /** A response carrying a longer pack is cut off and refused. */
  maxPackBytes: number;
}

export interface UploadPackResult {
  /** True when the server sent a pack (into `packFile`); false when it had nothing to send. */
  packReceived: boolean;
  /** Commits that became shallow boundaries. */
  shallow: string[];
  /** Former shallow boundaries whose parents are now present. */
  unshallow: string[];
}

const AGENT = 'agent=netfleet';

/**
 * POST one `git-upload-pack` request and collect the pack from the side-band stream.
 * (gitprotocol-pack "Packfile Negotiation", gitprotocol-http "Smart Service git-upload-pack").
 */
export async function requestPack(http: GitHttpClient, request: UploadPackRequest): Promise<UploadPackResult> {
  const wanted = ['side-band-64k', 'ofs-delta', 'shallow', 'no-progress', ...(request.relative ? ['deepen-relative'] : [])];
  for (const capability of ['shallow', 'side-band-64k', ...(request.relative ? ['deepen-relative'] : [])]) {
    if (!request.serverCapabilities.has(capability)) throw new ProtocolError(`the server does not support ${capability}`);
  }
  const capabilities = [...wanted.filter((name) => request.serverCapabilities.has(name)), AGENT].join(' ');
  const body = Buffer.concat([
    pktLine(`want ${request.want} ${capabilities}\n`),
    ...request.shallows.map((oid) => pktLine(`shallow ${oid}\n`)),
    pktLine(`deepen ${request.depth}\n`),
    FLUSH,
    ...request.haves.map((oid) => pktLine(`have ${oid}\n`)),
    pktLine('done\n'),
  ]);
  const response = await http.request({
    url: `${request.url.replace(/\/$/, '')}/git-upload-pack`,
    method: 'POST',
    headers: {
      ...request.headers,
      'Content-Type': 'application/x-git-upload-pack-request',
      Accept: 'application/x-git-upload-pack-result',
    },
    body: [body][Symbol.iterator]() as unknown as AsyncIterableIterator<Uint8Array>,
  });
  if (response.statusCode !== 200) {
    for await (const _chunk of response.body ?? []) { /* drain, so the connection can be reused */ }
    throw new HttpStatusError(response.statusCode, response.statusMessage);
  }
  const contentType = response.headers?.['content-type'] ?? '';
  if (contentType !== 'application/x-git-upload-pack-result') {
    throw new ProtocolError(`unexpected content type "${contentType}" for git-upload-pack`);
  }
  const pack = new PackFileWriter(request);
  try {
    return await readResult(new PktLineReader(response.body ?? emptyBody()), pack, request.url);
  } finally {
    await pack.close();
  }
}

const OBJECT_ID = /^[0-9a-f]{40}$/;

async function readResult(reader: PktLineReader, pack: PackFileWriter, url: string): Promise<UploadPackResult> {
  const result: UploadPackResult = { packReceived: false, shallow: [], unshallow: [] };
  for (;;) {
    const packet = await reader.next();
    if (packet === undefined) break;
    if (packet === FLUSH_PACKET) continue;
    const band = packet[0];
    if (band === 1) {
      await pack.write(packet.subarray(1));
      result.packReceived = true;
      continue;
    }
    if (band === 2) continue;
    if (band === 3) throw serverReported(url, packet.subarray(1).toString('utf8'));
    const line = packet.toString('utf8').trim();
    if (line.startsWith('shallow ')) result.shallow.push(objectId(line.slice(8), line, url));
    else if (line.startsWith('unshallow ')) result.unshallow.push(objectId(line.slice(10), line, url));
    else if (line.startsWith('ERR ')) throw serverReported(url, line.slice(4));
    else if (line !== 'NAK' && !line.startsWith('ACK ')) throw new ProtocolError(`unexpected line in the upload-pack response: ${line.slice(0, 80)}`);
  }
  return result;
}

/** A shallow/unshallow id goes into the shallow file and the next request: only a full id may. */
function objectId(value: string, line: string, url: string): string {
  if (OBJECT_ID.test(value)) return value;
  throw new GitSourceError(GitErrorCode.InvalidPack, `${url} sent an invalid shallow line "${printable(line)}" (expected 40 hexadecimal digits)`, {
    hint: 'The server or something on the path to it sent corrupt or forged data; nothing was stored and the last good revision stays applied.',
  });
}

function serverReported(url: string, message: string): GitSourceError {
  return new GitSourceError(GitErrorCode.ServerError, `${url} refused the fetch: ${printable(message)}`, {
    hint: 'The git server reported this error itself; check the repository on the server (the agent retries and keeps the last good revision meanwhile).',
  });
}

/** Server text in one line of printable characters, bounded, for messages and logs. */
function printable(text: string): string {
  return text.trim().replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

/** Bytes written to the pack file at once. */
const WRITE_BUFFER_BYTES = 1024 * 1024;

/** Streams the pack to its file as it arrives, refusing it once it passes `maxPackBytes`. */
class PackFileWriter {
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;

  constructor(private readonly request: UploadPackRequest) {}

  async write(data: Buffer): Promise<void> {
    if (this.written + this.pendingBytes + data.length > this.request.maxPackBytes) {
      throw new GitSourceError(GitErrorCode.TooLarge, `${this.request.url} sent a pack larger than the limit of ${this.request.maxPackBytes} bytes`, {
        hint: 'Keep large files out of the fleet repository, or raise maxPackBytes if the cache volume has room.',
      });
    }
    this.handle ??= await open(this.request.packFile, 'w');
    // Packets are 64 KiB at most: copy them out of the reader's buffer and write in batches.
    this.pending.push(Buffer.from(data));
    this.pendingBytes += data.length;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) await this.flush();
  }

  async close(): Promise<void> {
    try {
      if (this.pendingBytes > 0) await this.flush();
    } finally {
      await this.handle?.close();
      this.handle = undefined;
    }
  }

  private async flush(): Promise<void> {
    if (!this.handle) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data);
    this.written += data.length;
  }
}

const FLUSH = Buffer.from('0000');
const FLUSH_PACKET = Buffer.alloc(0);

function pktLine(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0')), payload]);
}

async function* emptyBody(): AsyncIterableIterator<Uint8Array> { /* no body */ }

/** Splits a byte stream into pkt-lines; a flush-pkt comes out as an empty buffer. */
class PktLineReader {
  private buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next packet, or undefined at the end of the stream. */
  async next(): Promise<Buffer | undefined> {
    if (!(await this.fill(4))) {
      if (this.buffer.length > 0) throw new ProtocolError('truncated pkt-line header');
      return undefined;
    }
    const lengthText = this.buffer.toString('latin1', 0, 4);
    const length = Number.parseInt(lengthText, 16);
    if (!/^[0-9a-f]{4}$/i.test(lengthText) || (length > 0 && length < 4)) throw new ProtocolError(`invalid pkt-line length "${lengthText}"`);
    if (length === 0) {
      this.buffer = this.buffer.subarray(4);
      return FLUSH_PACKET;
    }
    if (!(await this.fill(length))) throw new ProtocolError('truncated pkt-line');
    const packet = this.buffer.subarray(4, length);
    this.buffer = this.buffer.subarray(length);
    return packet;
  }

  private async fill(length: number): Promise<boolean> {
    while (this.buffer.length < length) {
      const { value, done } = await this.iterator.next();
      if (done) return false;
      this.buffer = this.buffer.length === 0 ? Buffer.from(value) : Buffer.concat([this.buffer, value]);
    }
    return true;
  }
}
