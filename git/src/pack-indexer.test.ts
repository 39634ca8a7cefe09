import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPack, copy, createWorkTree, delta, objectEntry, refDeltaEntry, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDelta } from './pack-format.js';
import { indexPack as indexPackBytes } from './pack-indexer.js';
import { PackFile, packInMemory } from './pack-file.js';

const LIMITS = { maxObjectBytes: 16 * 1024 * 1024 };

function indexPack(pack: Buffer): ReturnType<typeof indexPackBytes> {
  return indexPackBytes(packInMemory(pack), pack.length, LIMITS);
}

let tree: WorkTree;
let scratch: string;
let head: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'netfleet-pack-'));
  tree = await createWorkTree(join(scratch, 'unused.git'));
  // Many revisions of similar files, so git packs most of them as deltas.
  for (let round = 0; round < 12; round += 1) {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i += 1) files[`dir-${i % 4}/file-${i}.yaml`] = `${'line of shared text\n'.repeat(40)}round: ${round}\nfile: ${i}\n`;
    await tree.write(files);
    head = await tree.commit(`round ${round}`);
  }
});

afterAll(async () => {
  await tree.dispose();
  await rm(scratch, { recursive: true, force: true });
});

/** A pack of the whole history, made by git pack-objects, and git index-pack's index of it. */
async function nativePack(extraArgs: string[]): Promise<{ pack: Buffer; idx: Buffer }> {
  const base = join(scratch, `pack-${extraArgs.join('') || 'default'}`);
  const objects = await tree.git(['rev-list', '--objects', 'HEAD']);
  const sha = (await tree.git(['pack-objects', ...extraArgs, base], { input: objects })).trim();
  return { pack: await readFile(`${base}-${sha}.pack`), idx: await readFile(`${base}-${sha}.idx`) };
}

describe('when a pack is indexed', () => {
  it.each([
    { deltas: 'offset deltas', args: [] },
    { deltas: 'reference deltas', args: ['--no-delta-base-offset'] },
  ])('produces the same index as git index-pack for a pack with $deltas', async ({ args }) => {
    const { pack, idx } = await nativePack(args);
    const indexed = await indexPack(pack);
    expect(indexed.objectCount).toBeGreaterThan(240);
    expect(indexed.idx.equals(idx)).toBe(true);
  });

  it('reads back every object with the content git stores', async () => {
    const { pack } = await nativePack([]);
    const { idx } = await indexPack(pack);
    const count = idx.readUInt32BE(8 + 255 * 4);
    const offsetOf = new Map<string, number>();
    for (let i = 0; i < count; i += 1) {
      offsetOf.set(idx.toString('hex', 1032 + i * 20, 1052 + i * 20), idx.readUInt32BE(1032 + count * 24 + i * 4));
    }
    const boundaries = [...offsetOf.values()].sort((a, b) => a - b).concat(pack.length - 20);
    const reader = new PackFile(packInMemory(pack), {
      endOf: (at) => boundaries[boundaries.indexOf(at) + 1]!, offsetOf: (oid) => offsetOf.get(oid), ...LIMITS,
    });

    const commit = await reader.object(offsetOf.get(head)!);
    expect(commit.type).toBe('commit');
    expect(commit.content.toString()).toBe(await tree.git(['cat-file', 'commit', head]));
    const blobId = (await tree.git(['rev-parse', 'HEAD~5:dir-1/file-5.yaml'])).trim();
    expect((await reader.object(offsetOf.get(blobId)!)).content.toString()).toBe(await tree.git(['cat-file', 'blob', blobId]));
    expect(await reader.describe(offsetOf.get(blobId)!)).toEqual({ type: 'blob', size: Number((await tree.git(['cat-file', '-s', blobId])).trim()) });
  });

  it.each([
    { damage: 'a truncated transfer', mutate: (pack: Buffer) => pack.subarray(0, pack.length - 100), message: /checksum mismatch/ },
    { damage: 'a flipped byte', mutate: (pack: Buffer) => { const copy = Buffer.from(pack); copy[Math.floor(copy.length / 2)]! ^= 0xff; return copy; }, message: /checksum mismatch/ },
    { damage: 'an HTML page', mutate: () => Buffer.from('<html>'.repeat(10)), message: /not a git pack/ },
  ])('refuses $damage', async ({ mutate, message }) => {
    const { pack } = await nativePack([]);
    await expect(indexPack(mutate(pack))).rejects.toThrow(message);
  });
});

describe('when a large pack is indexed', () => {
  it('lets timers run while it works, so probes and watches are served', async () => {
    const pack = buildPack(Array.from({ length: 20_000 }, (_, i) => objectEntry('blob', `file ${i}\n${'x'.repeat(i % 500)}`)));
    let ticks = 0;
    const timer = setInterval(() => { ticks += 1; }, 1);
    try {
      const indexed = await indexPack(pack);
      expect(indexed.objectCount).toBe(20_000);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});

describe('when a pack index leads a delta chain in a circle', () => {
  it('refuses to read the object instead of recursing forever', async () => {
    const [a, b] = ['aa'.repeat(20), 'bb'.repeat(20)];
    const first = refDeltaEntry(b, delta(1, 1, copy(0, 1)));
    const pack = buildPack([first, refDeltaEntry(a, delta(1, 1, copy(0, 1)))]);
    const offsets = new Map([[a, 12], [b, 12 + first.length]]);
    const reader = new PackFile(packInMemory(pack), {
      endOf: (at) => (at === 12 ? 12 + first.length : pack.length - 20), offsetOf: (oid) => offsets.get(oid), ...LIMITS,
    });
    await expect(reader.object(12)).rejects.toThrow(/delta chain of the object at pack offset 12 loops or is longer than 4095/);
    await expect(reader.describe(12)).rejects.toThrow(/loops or is longer than 4095/);
  });
});

describe('when a delta is applied', () => {
  it.each([
    { name: 'copy then insert', base: 'hello world', delta: [11, 8, 0x90, 5, 3, 0x21, 0x21, 0x21], want: 'hello!!!' },
    { name: 'insert only', base: 'abc', delta: [3, 2, 2, 0x78, 0x79], want: 'xy' },
    { name: 'copy with offset', base: 'hello world', delta: [11, 5, 0x91, 6, 5], want: 'world' },
  ])('$name', ({ base, delta, want }) => {
    expect(applyDelta(Buffer.from(base), Buffer.from(delta)).toString()).toBe(want);
  });

  it('refuses a delta made for a base of another size', () => {
    expect(() => applyDelta(Buffer.from('abcd'), Buffer.from([3, 1, 1, 0x78]))).toThrow(/base of 3 bytes/);
  });

  it.each([
    // Copies over 64 bytes went through Buffer.copy, which clamps instead of failing.
    { name: 'a 100-byte copy from a 10-byte base', base: 10, delta: [10, 100, 0x90, 100], message: /copies 100 bytes from offset 0 of a 10-byte base/ },
    { name: 'a short copy past the base', base: 10, delta: [10, 4, 0x91, 8, 4], message: /copies 4 bytes from offset 8 of a 10-byte base/ },
    { name: 'an insert running past the delta', base: 1, delta: [1, 5, 5, 0x61], message: /insert instruction is truncated/ },
    { name: 'a copy writing past the declared size', base: 10, delta: [10, 2, 0x90, 10], message: /writes past the 2 bytes it declares/ },
    { name: 'a copy instruction cut off', base: 10, delta: [10, 2, 0x91], message: /copy instruction is truncated/ },
    { name: 'a truncated header', base: 10, delta: [0x8a], message: /delta header is truncated/ },
  ])('refuses $name, as git does', ({ base, delta, message }) => {
    expect(() => applyDelta(Buffer.alloc(base, 0x61), Buffer.from(delta))).toThrow(message);
  });
});
