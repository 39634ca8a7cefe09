import { v2CommandHeader, CLIENT_AGENT, type Advertisement } from './advertisement.js';
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
  /** The pack, or undefined when the server had nothing to send. */
  pack: Buffer | undefined;
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

/** Collect the pack from the side-band stream, and the shallow updates (v0 and v2 answers). */
export async function readResult(reader: PktLineReader): Promise<UploadPackResult> {
  const result: UploadPackResult = { pack: undefined, shallow: [], unshallow: [] };
  const packChunks: Buffer[] = [];
  for (;;) {
    const packet = await reader.next();
    if (packet === undefined) break;
    if (packet === FLUSH_PACKET || packet === DELIM_PACKET) continue;
    const band = packet[0];
    if (band === 1) {
      packChunks.push(packet.subarray(1));
      continue;
    }
    if (band === 2) continue;
    if (band === 3) throw new ProtocolError(`the server reported: ${packet.subarray(1).toString('utf8').trim()}`);
    const line = packet.toString('utf8').trim();
    if (line.startsWith('shallow ')) result.shallow.push(line.slice(8));
    else if (line.startsWith('unshallow ')) result.unshallow.push(line.slice(10));
    else if (V2_SECTIONS.has(line) || line === 'ready') continue;
    else if (line.startsWith('ERR ')) throw new ProtocolError(`the server reported: ${line.slice(4)}`);
    else if (line !== 'NAK' && !line.startsWith('ACK ')) throw new ProtocolError(`unexpected line in the upload-pack response: ${line.slice(0, 80)}`);
  }
  if (packChunks.length > 0) result.pack = Buffer.concat(packChunks);
  return result;
}
