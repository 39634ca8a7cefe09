import { v2CommandHeader, CLIENT_AGENT, type Advertisement } from './advertisement.js';
import { GitErrorCode, GitSourceError } from './errors.js';
import type { IncomingPackFile } from './incoming-pack-file.js';
import { isObjectId } from './object-format.js';
import { DELIM_PACKET, FLUSH, FLUSH_PACKET, DELIM, pktLine, ProtocolError, type PktLineReader } from './pkt-line.js';

/** One fetch request: the branch head wanted, how deep, and what the client has. */
export interface UploadPackRequest {
  want: string;
  /** Commits the client has; the server leaves out what they reach. */
  haves: string[];
  /** The client's shallow commits (its history stops there). */
  shallows: string[];
  /** Commits of history wanted below `want`, or below the shallow commits when `relative`. */
  depth: number;
  relative: boolean;
}

export interface UploadPackResult {
  /** True when the server sent a pack (into its file); false when it had nothing to send. */
  packReceived: boolean;
  /** Commits that became shallow boundaries. */
  shallow: string[];
  /** Former shallow boundaries whose parents are now present. */
  unshallow: string[];
}

/**
 * The body of one fetch request in the advertisement's protocol version
 * (gitprotocol-pack "Packfile Negotiation", gitprotocol-v2 "fetch"). `done` is always sent:
 * the client names its one have and takes what comes, so one round trip suffices.
 */
export function uploadPackRequest(request: UploadPackRequest, advertisement: Advertisement): Buffer {
  return advertisement.version === 2 ? v2Request(request, advertisement) : v0Request(request, advertisement.capabilities);
}

function v0Request(request: UploadPackRequest, server: ReadonlyMap<string, string>): Buffer {
  for (const capability of ['shallow', 'side-band-64k', ...(request.relative ? ['deepen-relative'] : [])]) {
    if (!server.has(capability)) throw new ProtocolError(`the server does not support ${capability}`);
  }
  // Azure DevOps refuses requests without multi_ack (TF401041); git asks for the detailed
  // form when offered, and the answer (ACK/NAK lines before the pack) reads the same.
  const multiAck = ['multi_ack_detailed', 'multi_ack'].find((name) => server.has(name));
  const wanted = [...(multiAck ? [multiAck] : []), 'side-band-64k', 'ofs-delta', 'shallow', 'no-progress', ...(request.relative ? ['deepen-relative'] : [])];
  const capabilities = [...wanted.filter((name) => server.has(name)), `agent=${CLIENT_AGENT}`].join(' ');
  return Buffer.concat([
    pktLine(`want ${request.want} ${capabilities}\n`),
    ...request.shallows.map((oid) => pktLine(`shallow ${oid}\n`)),
    pktLine(`deepen ${request.depth}\n`),
    FLUSH,
    ...request.haves.map((oid) => pktLine(`have ${oid}\n`)),
    pktLine('done\n'),
  ]);
}

function v2Request(request: UploadPackRequest, advertisement: Advertisement): Buffer {
  const features = (advertisement.capabilities.get('fetch') ?? '').split(' ');
  if (!advertisement.capabilities.has('fetch') || !features.includes('shallow')) throw new ProtocolError('the server does not support fetch with shallow');
  return Buffer.concat([
    ...v2CommandHeader('fetch', advertisement),
    DELIM,
    pktLine('ofs-delta\n'),
    pktLine('no-progress\n'),
    pktLine(`want ${request.want}\n`),
    ...request.shallows.map((oid) => pktLine(`shallow ${oid}\n`)),
    pktLine(`deepen ${request.depth}\n`),
    ...(request.relative ? [pktLine('deepen-relative\n')] : []),
    ...request.haves.map((oid) => pktLine(`have ${oid}\n`)),
    pktLine('done\n'),
    FLUSH,
  ]);
}

/** Section headers of a protocol v2 fetch answer; the pack follows `packfile`. */
const V2_SECTIONS = new Set(['acknowledgments', 'shallow-info', 'wanted-refs', 'packfile']);

/**
 * Stream the pack from the side-band into `pack`, and collect the shallow updates
 * (v0 and v2 answers).
 */
export async function readResult(reader: PktLineReader, pack: IncomingPackFile, url: string): Promise<UploadPackResult> {
  const result: UploadPackResult = { packReceived: false, shallow: [], unshallow: [] };
  for (;;) {
    const packet = await reader.next();
    if (packet === undefined) break;
    if (packet === FLUSH_PACKET || packet === DELIM_PACKET) continue;
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
    else if (V2_SECTIONS.has(line) || line === 'ready') continue;
    else if (line.startsWith('ERR ')) throw serverReported(url, line.slice(4));
    else if (line !== 'NAK' && !line.startsWith('ACK ')) throw new ProtocolError(`unexpected line in the upload-pack response: ${line.slice(0, 80)}`);
  }
  return result;
}

/** A shallow/unshallow id goes into the shallow file and the next request: only a full id may. */
function objectId(value: string, line: string, url: string): string {
  if (isObjectId(value)) return value;
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

