import { describe, expect, it } from 'vitest';
import { readAdvertisement, readLsRefs } from './advertisement.js';
import { FLUSH, pktLine, PktLineReader, ProtocolError } from './pkt-line.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

async function* stream(bytes: Buffer): AsyncIterable<Uint8Array> {
  // Byte by byte: a parser must not depend on how the network splits the answer.
  for (let index = 0; index < bytes.length; index += 1) yield bytes.subarray(index, index + 1);
}

function reader(...parts: Buffer[]): PktLineReader {
  return new PktLineReader(stream(Buffer.concat(parts)));
}

describe('readAdvertisement', () => {
  it('reads a v0 advertisement over HTTP: service line, refs, capabilities after the NUL', async () => {
    const advertisement = await readAdvertisement(reader(
      pktLine('# service=git-upload-pack\n'), FLUSH,
      pktLine(`${A} HEAD\0multi_ack_detailed shallow side-band-64k agent=git/2.43.0\n`),
      pktLine(`${A} refs/heads/main\n`), pktLine(`${B} refs/pull/1/head\n`), FLUSH,
    ));
    expect(advertisement.version).toBe(0);
    expect(advertisement.refs).toEqual(new Map([['HEAD', A], ['refs/heads/main', A], ['refs/pull/1/head', B]]));
    expect(advertisement.capabilities.get('agent')).toBe('git/2.43.0');
    expect(advertisement.capabilities.has('multi_ack_detailed')).toBe(true);
  });

  it('reads an empty repository (capabilities^{}) and a v1 announcement as v0 without refs', async () => {
    const advertisement = await readAdvertisement(reader(
      pktLine('version 1\n'), pktLine(`${'0'.repeat(40)} capabilities^{}\0shallow\n`), FLUSH,
    ));
    expect(advertisement).toMatchObject({ version: 0, refs: new Map() });
  });

  it('reads a v2 capability advertisement, and an ls-refs answer', async () => {
    const advertisement = await readAdvertisement(reader(
      pktLine('version 2\n'), pktLine('agent=git/2.43.0\n'), pktLine('ls-refs=unborn\n'), pktLine('fetch=shallow wait-for-done\n'), FLUSH,
    ));
    expect(advertisement).toMatchObject({ version: 2, refs: undefined });
    expect(advertisement.capabilities.get('fetch')).toBe('shallow wait-for-done');
    expect(await readLsRefs(reader(pktLine(`${A} refs/heads/main\n`), pktLine('unborn HEAD symref-target:refs/heads/main\n'), FLUSH)))
      .toEqual(new Map([['refs/heads/main', A]]));
  });

  it.each([
    { case: 'an ERR line', parts: [pktLine('ERR access denied\n')], message: /the server reported: access denied/ },
    { case: 'a ref line without an object id', parts: [pktLine('nonsense refs/heads/main\n'), FLUSH], message: /malformed ref advertisement line/ },
    { case: 'an advertisement cut short', parts: [pktLine(`${A} refs/heads/main\0shallow\n`)], message: /ends without a flush-pkt/ },
    { case: 'nothing at all', parts: [], message: /empty advertisement/ },
  ])('refuses $case with a ProtocolError', async ({ parts, message }) => {
    const error = await readAdvertisement(reader(...parts)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(message);
  });
});
