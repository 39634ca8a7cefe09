/**
 * Group commit of report requests: requests that arrive together are queued as one job in
 * one Redis write, each is answered after it, and each report is applied exactly once; when
 * that write fails every request it held is answered 503 and nothing of them is kept, so
 * what the agents send again is applied once.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORTS_PATH, REPORT_QUEUE, ReportKind, signReport, type Credentials } from '@netfleet/shared';
import { startRedis, type PrivateRedis } from '@netfleet/test';
import type { Hub } from '../src/index.js';
import { JOB_FILLED_REPORTS } from '../src/ingest/report-commit.js';
import type { ReportJobData } from '../src/ingest/report-job.js';
import { eventually, heartbeatBody, registerCluster, report, testHub, testKeySpace } from './helpers.js';

/** Long enough that requests sent together share a window on a crowded machine. */
const WINDOW_MS = 1_000;

const heartbeat = (credentials: Credentials, seq: number) =>
  signReport(report(credentials.cluster, seq, ReportKind.Heartbeat, heartbeatBody(`r${seq}`)), credentials.reportKey);

async function post(hub: Hub, credentials: Credentials, seqs: number[]) {
  return (await hub.api()).inject({
    method: 'POST', url: REPORTS_PATH, headers: { authorization: `Bearer ${credentials.apiToken}` },
    payload: { reports: seqs.map((seq) => heartbeat(credentials, seq)) },
  });
}

const counted = async (hub: Hub, result: string) => (await hub.metrics.reports.get()).values
  .filter((value) => value.labels.result === result).reduce((sum, value) => sum + value.value, 0);

describe('when many clusters post at the same moment', () => {
  const space = testKeySpace('report-commit');
  let intake: Hub;
  let worker: Hub | undefined;
  let fleet: Credentials[];
  let queue: Queue;
  let connection: Redis;

  beforeAll(async () => {
    // The API alone first, so the job can be looked at before a worker takes it.
    intake = testHub(space, { sweeper: false, rollouts: false, ingest: false, reportCommitWindowMs: WINDOW_MS });
    fleet = await Promise.all(['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1'].map((name) => registerCluster(intake, name)));
    connection = new Redis(space.url, { maxRetriesPerRequest: null });
    queue = new Queue(REPORT_QUEUE, { connection, prefix: space.prefix });
  });

  afterAll(async () => {
    await worker?.close();
    await intake.close();
    await queue.close();
    connection.disconnect();
    await space.cleanup();
  });

  it('queues their requests as one job, answers each 202, and applies each report exactly once', async () => {
    const requests = fleet.flatMap((credentials) => [
      { credentials, seqs: [1] },
      { credentials, seqs: [2, 3] },
      // A resend of a request in the same window: queued again, applied once.
      { credentials, seqs: [2, 3] },
    ]);
    const responses = await Promise.all(requests.map(({ credentials, seqs }) => post(intake, credentials, seqs)));
    expect(responses.map((response) => response.statusCode)).toEqual(requests.map(() => 202));
    expect(responses.map((response) => response.json().queued)).toEqual(requests.map(({ seqs }) => seqs.length));

    const jobs = await queue.getWaiting();
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data as ReportJobData;
    expect(data.requests.map((request) => [request.sender, request.reports.length]))
      .toEqual(requests.map(({ credentials, seqs }) => [credentials.cluster, seqs.length]));

    worker = testHub(space, { sweeper: false, rollouts: false });
    await worker.start();
    await eventually(async () => expect(await counted(worker!, 'duplicate')).toBe(2 * fleet.length));
    expect(await counted(worker, 'applied')).toBe(3 * fleet.length);
    for (const credentials of fleet) {
      expect(await worker.fleet.detail(credentials.cluster)).toMatchObject({ reports: 3, revision: 'r3' });
    }
  });
});

describe('when the write of a group fails', () => {
  let redis: PrivateRedis;
  let hub: Hub;
  let fleet: Credentials[];
  let admin: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    hub = testHub({ url: redis.url, prefix: '{nf-commit-fails}' }, { sweeper: false, rollouts: false, reportCommitWindowMs: WINDOW_MS });
    await hub.start();
    fleet = await Promise.all(['eu-1', 'eu-2', 'us-1'].map((name) => registerCluster(hub, name)));
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin.disconnect();
    await hub.close();
    await redis.dispose();
  });

  it('answers every request it held 503, keeps none of their reports, and applies them once when sent again', async () => {
    // Redis refuses writes (out of memory) but still answers reads: the tokens are checked, the job cannot be written.
    await admin.config('SET', 'maxmemory', '1');
    const refused = await Promise.all(fleet.map((credentials) => post(hub, credentials, [1, 2])));
    await admin.config('SET', 'maxmemory', '0');
    expect(refused.map((response) => [response.statusCode, response.json().error?.code])).toEqual(fleet.map(() => [503, 'HUB_REDIS_UNAVAILABLE']));
    for (const credentials of fleet) expect(await hub.fleet.detail(credentials.cluster)).toMatchObject({ reports: 0 });

    // The agents keep the reports spooled and send them again.
    const accepted = await Promise.all(fleet.map((credentials) => post(hub, credentials, [1, 2])));
    expect(accepted.map((response) => response.statusCode)).toEqual(fleet.map(() => 202));
    await eventually(async () => expect(await counted(hub, 'applied')).toBe(2 * fleet.length));
    for (const credentials of fleet) expect(await hub.fleet.detail(credentials.cluster)).toMatchObject({ reports: 2, revision: 'r2' });
    expect(await counted(hub, 'duplicate')).toBe(0);
  });
});

describe('when a group fills before its window ends', () => {
  const space = testKeySpace('report-commit-filled');
  let intake: Hub;
  let fleet: Credentials[];
  let queue: Queue;
  let connection: Redis;

  beforeAll(async () => {
    // A window far longer than the test may take: only a filled group can be written in time.
    intake = testHub(space, { sweeper: false, rollouts: false, ingest: false, reportCommitWindowMs: 600_000 });
    fleet = await Promise.all(['eu-1', 'eu-2'].map((name) => registerCluster(intake, name)));
    connection = new Redis(space.url, { maxRetriesPerRequest: null });
    queue = new Queue(REPORT_QUEUE, { connection, prefix: space.prefix });
  });

  afterAll(async () => {
    await intake.close();
    await queue.close();
    connection.disconnect();
    await space.cleanup();
  });

  const seqs = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);

  // Without the early write the requests would wait out the window: this test would time out.
  it(`writes the group as soon as it holds ${JOB_FILLED_REPORTS} reports, one request or several, and answers them`, { timeout: 60_000 }, async () => {
    const full = await post(intake, fleet[0]!, seqs(1, JOB_FILLED_REPORTS));
    expect([full.statusCode, full.json().queued]).toEqual([202, JOB_FILLED_REPORTS]);

    const halves = await Promise.all(fleet.map((credentials, index) => post(intake, credentials, seqs(1000 + index * 100, JOB_FILLED_REPORTS / 2))));
    expect(halves.map((response) => response.statusCode)).toEqual([202, 202]);

    const jobs = await queue.getWaiting();
    expect(jobs.map((job) => (job.data as ReportJobData).requests.map((request) => request.reports.length)).sort())
      .toEqual([[JOB_FILLED_REPORTS], [JOB_FILLED_REPORTS / 2, JOB_FILLED_REPORTS / 2]].sort());
  });
});
