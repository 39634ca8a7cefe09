import { DELIM, FLUSH, FLUSH_PACKET, pktLine, ProtocolError, type PktLineReader } from './pkt-line.js';

/** Wire protocol versions the source speaks: 0 (ref advertisement up front) and 2 (commands). */
export type ProtocolVersion = 0 | 2;

/** What the server says first when the upload-pack service starts. */
export interface Advertisement {
  version: ProtocolVersion;
  /** Capability name → value (`''` when it has none), e.g. `shallow`, `agent` → `git/2.43`, v2 `fetch` → `shallow filter`. */
  capabilities: ReadonlyMap<string, string>;
  /** Protocol v0: every ref the server advertised. Protocol v2 lists refs on request (`ls-refs`). */
  refs: ReadonlyMap<string, string> | undefined;
}

const OID = /^[0-9a-f]{40}$/;
/** The `agent` capability value sent to servers; hosting services recognise git clients by `git/`. */
export const CLIENT_AGENT = 'git/netfleet';

/**
 * Read the advertisement (gitprotocol-pack "Reference Discovery", gitprotocol-v2
 * "Capability Advertisement"). Over HTTP it starts with a `# service=` line.
 */
export async function readAdvertisement(reader: PktLineReader): Promise<Advertisement> {
  let first = await reader.next();
  if (first?.toString('utf8').startsWith('# service=')) {
    if ((await reader.next()) !== FLUSH_PACKET) throw new ProtocolError('no flush-pkt after the service line');
    first = await reader.next();
  }
  if (first === undefined) throw new ProtocolError('empty advertisement');
  const firstLine = first.toString('utf8').replace(/\n$/, '');
  if (firstLine === 'version 2') return { version: 2, capabilities: await readV2Capabilities(reader), refs: undefined };
  // A v1 server announces itself and then advertises like v0.
  const refsStart = firstLine === 'version 1' ? await reader.next() : first;
  return readV0Refs(reader, refsStart);
}

async function readV2Capabilities(reader: PktLineReader): Promise<Map<string, string>> {
  const capabilities = new Map<string, string>();
  for (;;) {
    const packet = await reader.next();
    if (packet === undefined) throw new ProtocolError('the capability advertisement ends without a flush-pkt');
    if (packet === FLUSH_PACKET) return capabilities;
    const line = packet.toString('utf8').replace(/\n$/, '');
    const equals = line.indexOf('=');
    capabilities.set(equals < 0 ? line : line.slice(0, equals), equals < 0 ? '' : line.slice(equals + 1));
  }
}

async function readV0Refs(reader: PktLineReader, first: Buffer | undefined): Promise<Advertisement> {
  const refs = new Map<string, string>();
  const capabilities = new Map<string, string>();
  // An empty repository advertises nothing but a flush-pkt.
  let packet = first;
  let isFirst = true;
  for (;;) {
    if (packet === undefined) throw new ProtocolError('the ref advertisement ends without a flush-pkt');
    if (packet === FLUSH_PACKET) return { version: 0, capabilities, refs };
    if (packet.length === 0) throw new ProtocolError('unexpected special packet in the ref advertisement');
    let line = packet.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('ERR ')) throw new ProtocolError(`the server reported: ${line.slice(4)}`);
    if (isFirst) {
      const nul = line.indexOf('\0');
      if (nul >= 0) {
        for (const word of line.slice(nul + 1).split(' ').filter(Boolean)) {
          const equals = word.indexOf('=');
          capabilities.set(equals < 0 ? word : word.slice(0, equals), equals < 0 ? '' : word.slice(equals + 1));
        }
        line = line.slice(0, nul);
      }
      isFirst = false;
    }
    const [oid = '', name = ''] = line.split(' ', 2);
    if (oid === 'shallow') {
      // A shallow server repository lists its boundaries after the refs: not refs.
    } else if (!OID.test(oid) || !name) {
      throw new ProtocolError(`malformed ref advertisement line: ${line.slice(0, 80)}`);
    } else if (name !== 'capabilities^{}') {
      refs.set(name, oid);
    }
    packet = await reader.next();
  }
}

/** The protocol v2 `ls-refs` command for the refs under `prefix` (gitprotocol-v2 "ls-refs"). */
export function lsRefsRequest(prefix: string, advertisement: Advertisement): Buffer {
  return Buffer.concat([
    ...v2CommandHeader('ls-refs', advertisement),
    DELIM,
    pktLine(`ref-prefix ${prefix}\n`),
    FLUSH,
  ]);
}

/** The first lines of every v2 command: its name and the client's agent when the server takes one. */
export function v2CommandHeader(command: string, advertisement: Advertisement): Buffer[] {
  return [
    pktLine(`command=${command}\n`),
    ...(advertisement.capabilities.has('agent') ? [pktLine(`agent=${CLIENT_AGENT}\n`)] : []),
  ];
}

/** Read an `ls-refs` answer: `<oid> <refname>` lines up to a flush-pkt. */
export async function readLsRefs(reader: PktLineReader): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  for (;;) {
    const packet = await reader.next();
    if (packet === undefined) throw new ProtocolError('the ls-refs answer ends without a flush-pkt');
    if (packet === FLUSH_PACKET) return refs;
    const line = packet.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('ERR ')) throw new ProtocolError(`the server reported: ${line.slice(4)}`);
    const [oid = '', name = ''] = line.split(' ', 3);
    if (oid === 'unborn') continue;
    if (!OID.test(oid) || !name) throw new ProtocolError(`malformed ls-refs line: ${line.slice(0, 80)}`);
    refs.set(name, oid);
  }
}
