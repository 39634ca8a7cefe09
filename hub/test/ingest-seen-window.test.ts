import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { HubScripts, IngestCode, type ReportWrites } from '../src/redis/scripts.js';
import { registerCluster, testHub, testKeySpace } from './helpers.js';

/**
 * The ingest script's exactly-once window (a ring of bits per cluster) against a model that
 * keeps every seq it ever applied: the decisions must be the same for any order of seqs.
 */
const space = testKeySpace('seen-window');
let hub: Hub;
let clusters = 0;

beforeAll(() => {
  hub = testHub(space, { sweeper: false, rollouts: false, ingest: false });
});

afterAll(async () => {
  await hub.close();
  await space.cleanup();
});

const scriptsWith = (replayWindow: number, maxSeqJump = 1_000_000) =>
  new HubScripts(hub.redis, hub.keys, { eventsCap: 5, replayWindow, maxSeqJump, alertHistoryCap: 10 });

async function newCluster(): Promise<string> {
  clusters += 1;
  const name = `c-${clusters}`;
  await registerCluster(hub, name);
  return name;
}

/** Bare reports: the window logic does not depend on what a report writes. */
async function ingest(scripts: HubScripts, cluster: string, seqs: number[]): Promise<IngestCode[]> {
  const reports: ReportWrites[] = seqs.map((seq) => ({ seq, event: '', groups: [] }));
  return (await scripts.ingestReports(cluster, 1, Date.now(), reports)).map((outcome) => outcome.code);
}

/** What the window promises, with unbounded memory: each seq applied once, late ones refused, far jumps refused. */
class SeenModel {
  private maxSeq = 0;
  private readonly applied = new Set<number>();

  constructor(private readonly window: number, private readonly maxJump: number) {}

  decide(seq: number): IngestCode {
    if (seq <= this.maxSeq - this.window) return IngestCode.Replay;
    if (seq > this.maxSeq + this.maxJump) return IngestCode.SeqJump;
    if (this.applied.has(seq)) return IngestCode.Duplicate;
    this.applied.add(seq);
    this.maxSeq = Math.max(this.maxSeq, seq);
    return IngestCode.Applied;
  }

  /** A seq `delta` from the highest applied (at least 1), so sequences stay near the window. */
  seqAt(delta: number): number {
    return Math.max(1, this.maxSeq + delta);
  }
}

describe('when seqs arrive in any order', () => {
  it('applies, refuses as duplicate, late or too far ahead exactly as the model does', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 90 }),
      // Requests of 1–4 reports; each seq is a step from the highest applied when it is sent:
      // mostly forward by one, sometimes a gap, a resend or a late seq around the window's edge.
      fc.array(fc.array(fc.oneof(
        { weight: 6, arbitrary: fc.constant(1) },
        { weight: 2, arbitrary: fc.integer({ min: 2, max: 100 }) },
        { weight: 3, arbitrary: fc.integer({ min: -45, max: 0 }) },
      ), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 60, size: 'max' }),
      async (window, maxJump, requests) => {
        const scripts = scriptsWith(window, maxJump);
        const cluster = await newCluster();
        const model = new SeenModel(window, maxJump);
        for (const deltas of requests) {
          // The model decides each seq in order as the script does, so a request's later seqs
          // are steps from what its earlier ones applied.
          const seqs: number[] = [];
          const expected: IngestCode[] = [];
          for (const delta of deltas) {
            const seq = model.seqAt(delta);
            seqs.push(seq);
            expected.push(model.decide(seq));
          }
          expect({ seqs, codes: await ingest(scripts, cluster, seqs) }).toEqual({ seqs, codes: expected });
        }
      },
    ), { numRuns: 150 });
  });

  it('keeps the key at 12 bytes of header plus one bit per seq of the window, however many seqs', async () => {
    const scripts = scriptsWith(1024);
    const cluster = await newCluster();
    for (let start = 1; start <= 5000; start += 100) {
      await ingest(scripts, cluster, Array.from({ length: 100 }, (_, offset) => start + offset));
    }
    expect(await hub.redis.type(hub.keys.seen(cluster))).toBe('string');
    expect(await hub.redis.strlen(hub.keys.seen(cluster))).toBe(12 + 1024 / 8);
    expect(await ingest(scripts, cluster, [5000, 4000, 3977, 3976, 5001])).toEqual([
      IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Replay, IngestCode.Applied,
    ]);
  });
});

describe('when a hub that kept applied seqs in a sorted set is upgraded mid-stream', () => {
  it('reads the sorted set on first touch: seqs applied before stay applied, the rest of the window still applies once', async () => {
    const scripts = scriptsWith(8);
    const cluster = await newCluster();
    expect(await ingest(scripts, cluster, [1, 2, 3, 4, 5, 6, 8, 9, 10, 12])).toEqual(Array(10).fill(IngestCode.Applied));
    // The key as the older hub left it (member = score = seq), 7 and 11 never arrived;
    // seqs below the window not trimmed yet (it trimmed every 64 seqs).
    const seen = hub.keys.seen(cluster);
    await hub.redis.del(seen);
    await hub.redis.zadd(seen, ...[1, 2, 3, 4, 5, 6, 8, 9, 10, 12].flatMap((seq) => [seq, String(seq)]));

    expect(await ingest(scripts, cluster, [4, 5, 6, 7, 8, 10, 11, 12, 13, 7, 13])).toEqual([
      IngestCode.Replay, IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Applied, IngestCode.Duplicate,
      IngestCode.Duplicate, IngestCode.Applied, IngestCode.Duplicate, IngestCode.Applied, IngestCode.Duplicate, IngestCode.Duplicate,
    ]);
    expect(await hub.redis.type(seen)).toBe('string');
  });
});

describe('when the replay window is changed between hub runs', () => {
  it('keeps the seqs applied inside both windows applied', async () => {
    const cluster = await newCluster();
    expect(await ingest(scriptsWith(8), cluster, [1, 2, 3, 5, 6, 8, 9, 10])).toEqual(Array(8).fill(IngestCode.Applied));
    // Smaller: the window is 7..10 now; 8, 9, 10 were applied, 7 was not.
    expect(await ingest(scriptsWith(4), cluster, [6, 8, 10, 7])).toEqual([
      IngestCode.Replay, IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Applied,
    ]);
    // Larger again: the seqs the smaller ring kept (7..10) are still applied; 4 never was.
    expect(await ingest(scriptsWith(16), cluster, [7, 8, 9, 10, 4, 4, 11])).toEqual([
      IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Duplicate, IngestCode.Duplicate,
      IngestCode.Applied, IngestCode.Duplicate, IngestCode.Applied,
    ]);
  });
});
