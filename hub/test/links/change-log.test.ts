import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_QUEUE, ReportKind, type Credentials } from '@netfleet/shared';
import { LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { startRedis, type PrivateRedis } from '@netfleet/test';
import type { Hub } from '../../src/index.js';
import { FULL_READ_PASSES } from '../../src/links/link-service.js';
import { TestSender, eventually, registerCluster, report, testHub } from '../helpers.js';

/**
 * A link health pass reads only the clusters the link change log names since the last pass
 * (link reports, applied revisions, revocations), not every cluster's hash; every
 * FULL_READ_PASSES passes it reads them all, which catches what a hub without the log wrote.
 * A private Redis, so its command counts are this test's.
 */

const NAMES = Array.from({ length: 20 }, (_, index) => `c-${String(index).padStart(2, '0')}`);
let redis: PrivateRedis;
let admin: Redis;
let reports: Queue;
let reportsConnection: Redis;
let ingest: Hub;
let reader: Hub;
let sender: TestSender;
const credentials = new Map<string, Credentials>();
const seqs = new Map<string, number>();

const links = (from: string): LinkObservation[] => [{
  kind: LinkKind.Federation, name: from === 'c-00' ? 'c-01' : 'c-00', managed: true, metadataEndpoint: 'https://istio.peer.example.com/metadata/',
  peerDomain: 'peer.example.com', state: LinkState.Healthy, reason: LinkReason.ExchangeSucceeded, message: 'healthy',
}];

async function reportLinks(from: string): Promise<void> {
  const seq = (seqs.get(from) ?? 0) + 1;
  seqs.set(from, seq);
  await sender.send(credentials.get(from)!, report(from, seq, ReportKind.Link, { links: links(from) }));
  await eventually(async () => expect(await admin.hget(ingest.keys.cluster(from), 'linkSeq')).toBe(String(seq)));
  // The job that applied it completes after: BullMQ's completion script calls HMGET too, which
  // the counts below must not see.
  await eventually(async () => expect(await reports.getJobCounts('active', 'waiting', 'prioritized')).toEqual({ active: 0, waiting: 0, prioritized: 0 }));
}

/** Calls of `command` Redis served since the last reset. */
async function calls(command: string): Promise<number> {
  const stats = await admin.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
  const space = { url: redis.url, prefix: '{nf-link-log}' };
  reportsConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
  reports = new Queue(REPORT_QUEUE, { connection: reportsConnection, prefix: space.prefix });
  // The ingest replica's own link passes stay out of the way (one at start); the reader's passes are called here.
  ingest = testHub(space, { sweeper: false, rollouts: false, sweepIntervalMs: 3_600_000 });
  reader = testHub(space, { sweeper: false, rollouts: false, ingest: false });
  await ingest.start();
  sender = new TestSender(space);
  for (const name of NAMES) credentials.set(name, await registerCluster(ingest, name));
});

afterAll(async () => {
  await sender.close();
  await reports.close();
  reportsConnection.disconnect();
  await reader.close();
  await ingest.close();
  admin.disconnect();
  await redis.dispose();
});

describe('when a replica passes over a fleet whose link reports change now and then', () => {
  it('reads every cluster once, then only those changed since its last pass', async () => {
    for (const name of ['c-00', 'c-01']) await reportLinks(name);
    await reader.linkHealth.pass();
    expect(reader.linkHealth.links.clusterLinks('c-00')?.links).toHaveLength(1);

    await admin.config('RESETSTAT');
    await reader.linkHealth.pass();
    expect([await calls('zrange'), await calls('zrangebyscore'), await calls('hmget')]).toEqual([0, 0, 0]);

    await reportLinks('c-05');
    await admin.config('RESETSTAT');
    await reader.linkHealth.pass();
    // One read of the changed cluster's linkSeq, one of its report.
    expect([await calls('zrange'), await calls('zrangebyscore'), await calls('hmget')]).toEqual([0, 1, 2]);
    expect(reader.linkHealth.links.clusterLinks('c-05')?.links).toHaveLength(1);
  });

  it('forgets a revoked cluster\'s links at the next pass', async () => {
    await ingest.registry.revoke('c-05');
    await reader.linkHealth.pass();
    expect(reader.linkHealth.links.clusterLinks('c-05')?.links ?? []).toHaveLength(0);
  });

  it('takes a report written without a change noted within FULL_READ_PASSES passes', async () => {
    // As a hub of an earlier version writes it: the hash alone.
    const stored = await admin.hget(ingest.keys.cluster('c-00'), 'links');
    await admin.hset(ingest.keys.cluster('c-07'), 'links', stored!.replaceAll('c-01', 'c-00'), 'linkSeq', '1', 'linkFailingSince', '{}');
    await reader.linkHealth.pass();
    expect(reader.linkHealth.links.clusterLinks('c-07')?.links ?? []).toHaveLength(0);
    for (let pass = 0; pass < FULL_READ_PASSES; pass += 1) await reader.linkHealth.pass();
    expect(reader.linkHealth.links.clusterLinks('c-07')?.links).toHaveLength(1);
  });
});
