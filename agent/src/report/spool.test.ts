import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, ReportKind, createLogger, type UnsignedReport } from '@netfleet/shared';
import { SeqStore } from './seq-store.js';
import { Spool } from './spool.js';

const logger = createLogger({ name: 'spool-test', level: 'silent' });
let dir: string;

function entry(seq: number, kind: ReportKind): UnsignedReport {
  const body = kind === ReportKind.Heartbeat
    ? { revision: 'r', objects: 1, driftCount: 0, agentVersion: '1', readiness: { ready: 1, notReady: 0, waiting: 0 } }
    : kind === ReportKind.Sync ? { revision: 'r', status: 'succeeded', reason: 'Succeeded', changes: [] } : { revision: 'r', items: [] };
  return { protocolVersion: PROTOCOL_VERSION, cluster: 'eu-1', seq, time: new Date(0).toISOString(), kind, body } as UnsignedReport;
}

const describeSpool = (spool: Spool) => spool.peek(100).map((report) => `${report.kind[0]}${report.seq}`);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-spool-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('when the spool is full', () => {
  it('drops the oldest heartbeat first and keeps sync and drift reports', async () => {
    const spool = await Spool.open(dir, 4, logger);
    for (const [seq, kind] of [[1, ReportKind.Heartbeat], [2, ReportKind.Sync], [3, ReportKind.Heartbeat], [4, ReportKind.Drift], [5, ReportKind.Heartbeat]] as const) {
      await spool.append(entry(seq, kind));
    }
    expect(describeSpool(spool)).toEqual(['s2', 'h3', 'd4', 'h5']);
    await spool.append(entry(6, ReportKind.Sync));
    expect(describeSpool(spool)).toEqual(['s2', 'd4', 'h5', 's6']);
    expect(spool.dropped).toBe(2);
    await spool.close();
  });

  it('grows past its bound rather than drop a sync or drift report', async () => {
    const spool = await Spool.open(dir, 2, logger);
    for (const seq of [1, 2, 3]) await spool.append(entry(seq, seq === 2 ? ReportKind.Drift : ReportKind.Sync));
    expect(describeSpool(spool)).toEqual(['s1', 'd2', 's3']);
    expect(spool.dropped).toBe(0);
    await spool.close();
  });
});

describe('when reports are sent while others are spooled', () => {
  it('removes exactly the sent reports, even if the bound dropped one of them meanwhile', async () => {
    const spool = await Spool.open(dir, 3, logger);
    await spool.append(entry(1, ReportKind.Heartbeat));
    await spool.append(entry(2, ReportKind.Sync));
    const inFlight = spool.peek(2);
    await spool.append(entry(3, ReportKind.Drift));
    await spool.append(entry(4, ReportKind.Sync));
    expect(describeSpool(spool)).toEqual(['s2', 'd3', 's4']);
    await spool.remove(inFlight);
    expect(describeSpool(spool)).toEqual(['d3', 's4']);
    await spool.close();
  });

  it('keeps the file equal to the spool under concurrent appends and removals', async () => {
    const spool = await Spool.open(dir, 1000, logger);
    const work: Promise<void>[] = [];
    for (let seq = 1; seq <= 60; seq += 1) {
      work.push(spool.append(entry(seq, ReportKind.Sync)));
      if (seq % 10 === 0) work.push(spool.remove(spool.peek(5)));
    }
    await Promise.all(work);
    const expected = describeSpool(spool);
    await spool.close();
    const reopened = await Spool.open(dir, 1000, logger);
    expect(describeSpool(reopened)).toEqual(expected);
    expect(new Set(expected).size).toBe(expected.length);
    await reopened.close();
  });
});

describe('when the agent restarts', () => {
  it('finds every unsent report on disk, in order', async () => {
    const spool = await Spool.open(dir, 10, logger);
    for (const seq of [1, 2, 3]) await spool.append(entry(seq, ReportKind.Sync));
    await spool.remove(spool.peek(1));
    await spool.close();
    const reopened = await Spool.open(dir, 10, logger);
    expect(describeSpool(reopened)).toEqual(['s2', 's3']);
    await reopened.close();
  });

  it('ignores a torn last line left by a crash during an append', async () => {
    const spool = await Spool.open(dir, 10, logger);
    await spool.append(entry(1, ReportKind.Sync));
    await spool.close();
    await appendFile(join(dir, 'spool.jsonl'), '{"protocolVersion":1,"clus');
    const reopened = await Spool.open(dir, 10, logger);
    expect(describeSpool(reopened)).toEqual(['s1']);
    expect(await readFile(join(dir, 'spool.jsonl'), 'utf8')).not.toContain('"clus\n');
    await reopened.close();
  });

  it('never hands out a sequence number twice', async () => {
    const first = await SeqStore.open(dir, 4);
    const used = [await first.next(), await first.next(), await first.next()];
    const second = await SeqStore.open(dir, 4);
    const next = await second.next();
    expect(used).toEqual([1, 2, 3]);
    expect(next).toBeGreaterThan(3);
    const third = await SeqStore.open(dir, 4);
    expect(await third.next()).toBeGreaterThan(next);
  });
});
