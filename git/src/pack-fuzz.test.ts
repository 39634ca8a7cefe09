/**
 * Fuzzing of the parsers that read what a server sends: thousands of mutated packs (with
 * a recomputed checksum, so the mutations reach the object parser), random deltas and
 * random trees. Each must be accepted or refused with the module's own PackError: no
 * other exception, no hang, no memory beyond the limits.
 */
import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  buildPack, commitContent, copy, craftedObjectId, createWorkTree, delta, insert, objectEntry, ofsDeltaEntry, refDeltaEntry, treeContent, withTrailer,
} from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTree } from './object-format.js';
import { PackFile, packInMemory } from './pack-file.js';
import { applyDelta, deltaTargetSize, PackError } from './pack-format.js';
import { indexPack } from './pack-indexer.js';

const LIMITS = { maxObjectBytes: 1024 * 1024 };
const seeds: Buffer[] = [];
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'netfleet-fuzz-'));
  const tree = await createWorkTree(join(scratch, 'unused.git'));
  try {
    for (let round = 0; round < 4; round += 1) {
      await tree.write({ 'a.yaml': `${'shared line\n'.repeat(20)}round: ${round}\n`, [`dir/b-${round % 2}.yaml`]: `b: ${round}\n` });
      await tree.commit(`round ${round}`);
    }
    const objects = await tree.git(['rev-list', '--objects', 'HEAD']);
    for (const args of [[], ['--no-delta-base-offset']]) {
      const base = join(scratch, `pack${args.length}`);
      const sha = (await tree.git(['pack-objects', ...args, base], { input: objects })).trim();
      seeds.push(await readFile(`${base}-${sha}.pack`));
    }
  } finally {
    await tree.dispose();
  }
  const blob = 'ten bytes!';
  const treeBody = treeContent([{ mode: '100644', name: 'x', oid: craftedObjectId('blob', blob) }]);
  const blobEntry = objectEntry('blob', blob);
  seeds.push(buildPack([
    objectEntry('commit', commitContent(craftedObjectId('tree', treeBody))), objectEntry('tree', treeBody), blobEntry,
    ofsDeltaEntry(blobEntry.length, delta(10, 12, copy(0, 10), insert('!!'))),
    refDeltaEntry(craftedObjectId('blob', blob), delta(10, 3, copy(7, 3))),
  ]));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Only the module's own refusals may escape. */
function expectRefusal(error: unknown): void {
  if (!(error instanceof PackError)) throw error;
}

/** Read every object the index lists, as the object store would. */
async function readAll(pack: Buffer, idx: Buffer): Promise<void> {
  const count = idx.readUInt32BE(8 + 255 * 4);
  const offsetOf = new Map<string, number>();
  for (let i = 0; i < count; i += 1) offsetOf.set(idx.toString('hex', 1032 + i * 20, 1052 + i * 20), idx.readUInt32BE(1032 + count * 24 + i * 4));
  const boundaries = [...offsetOf.values()].sort((a, b) => a - b).concat(pack.length - 20);
  const reader = new PackFile(packInMemory(pack), {
    endOf: (at) => boundaries.find((boundary) => boundary > at) ?? pack.length - 20, offsetOf: (oid) => offsetOf.get(oid), ...LIMITS,
  });
  for (const offset of offsetOf.values()) {
    await reader.describe(offset);
    await reader.object(offset);
  }
}

const mutation = fc.record({
  seed: fc.nat(),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  cut: fc.option(fc.nat(), { nil: undefined }),
});

describe('fuzzing', () => {
  it('indexes or refuses thousands of mutated packs with a PackError, within bounded memory', async () => {
    const peakBefore = Math.max(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss);
    let accepted = 0;
    await fc.assert(fc.asyncProperty(mutation, async ({ seed, flips, cut }) => {
      const original = seeds[seed % seeds.length]!;
      const body = Buffer.from(original.subarray(0, original.length - 20));
      // Mostly the object headers and the first bytes of zlib data: where the parser decides.
      for (const [position, value] of flips) body[position % body.length] = value;
      const pack = withTrailer(cut === undefined ? body : body.subarray(0, cut % body.length));
      try {
        const { idx } = await indexPack(packInMemory(pack), pack.length, LIMITS);
        accepted += 1;
        await readAll(pack, idx);
      } catch (error) {
        expectRefusal(error);
      }
    }), { numRuns: 3000 });
    expect(accepted).toBeGreaterThan(0);
    expect(process.resourceUsage().maxRSS * 1024).toBeLessThan(peakBefore + 256 * 1024 * 1024);
  });

  it('applies or refuses random deltas, never producing other than the size they declare', () => {
    const instructions = fc.array(fc.oneof(
      fc.tuple(fc.nat({ max: 400 }), fc.integer({ min: 1, max: 400 })).map(([offset, size]) => copy(offset, size)),
      fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => insert(Buffer.from(bytes))),
      fc.uint8Array({ maxLength: 8 }).map((bytes) => Buffer.from(bytes)),
    ), { maxLength: 8 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 3000 }), instructions, fc.uint8Array({ maxLength: 32 }), (base, target, steps, raw) => {
      for (const data of [delta(base.length, target, ...steps), Buffer.from(raw)]) {
        try {
          const result = applyDelta(Buffer.from(base), data, LIMITS.maxObjectBytes);
          expect(result.length).toBe(deltaTargetSize(data));
        } catch (error) {
          expectRefusal(error);
        }
      }
    }), { numRuns: 5000 });
  });

  it('parses or refuses random and mutated trees', () => {
    const sound = treeContent([
      { mode: '100644', name: 'fleet.yaml', oid: 'ab'.repeat(20) },
      { mode: '40000', name: 'clusters', oid: 'cd'.repeat(20) },
    ]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (random, flips) => {
      const mutated = Buffer.from(sound);
      for (const [position, value] of flips) mutated[position % mutated.length] = value;
      for (const content of [Buffer.from(random), mutated]) {
        try {
          for (const entry of parseTree(content)) expect(entry.oid).toMatch(/^[0-9a-f]{40}$/);
        } catch (error) {
          expectRefusal(error);
        }
      }
    }), { numRuns: 5000 });
  });
});
