/**
 * A rolling upgrade: replicas of the earlier version (one request per job on the queue
 * `reports`, which their workers read) share the Redis with replicas of this one (groups on
 * `REPORT_QUEUE`). No report an agent got its 202 for may be lost: an earlier worker never
 * takes a group, and this version's workers apply what an earlier API queued.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EARLIER_REPORT_QUEUE, REPORTS_PATH, REPORT_QUEUE, ReportKind, signReport, type Credentials } from '@netfleet/shared';
import type { Hub } from '../src/index.js';
import { TestSender, eventually, heartbeatBody, registerCluster, report, testHub, testKeySpace } from './helpers.js';

const counted = async (hub: Hub, result: string) => (await hub.metrics.reports.get()).values
  .filter((value) => value.labels.result === result).reduce((sum, value) => sum + value.value, 0);

async function post(hub: Hub, credentials: Credentials, seqs: number[]) {
  return (await hub.api()).inject({
    method: 'POST', url: REPORTS_PATH, headers: { authorization: `Bearer ${credentials.apiToken}` },
    payload: { reports: seqs.map((seq) => signReport(report(credentials.cluster, seq, ReportKind.Heartbeat, heartbeatBody(`r${seq}`)), credentials.reportKey)) },
  });
}

/** Every job a queue holds, in whatever state. */
async function jobsIn(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

describe('when an earlier replica\'s API queued reports on its queue', () => {
  const space = testKeySpace('upgrade-earlier');
  let hub: Hub;
  let earlierApi: TestSender;
  let eu1: Credentials;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false });
    eu1 = await registerCluster(hub, 'eu-1');
    earlierApi = new TestSender(space, EARLIER_REPORT_QUEUE);
  });

  afterAll(async () => {
    await hub.close();
    await earlierApi.close();
    await space.cleanup();
  });

  it('applies each of their reports exactly once, one request or one report per job', async () => {
    await earlierApi.sendRequest(eu1, [1, 2].map((seq) => report('eu-1', seq, ReportKind.Heartbeat, heartbeatBody(`r${seq}`))));
    await earlierApi.send(eu1, report('eu-1', 3, ReportKind.Heartbeat, heartbeatBody('r3')));
    await hub.start();
    await eventually(async () => expect(await counted(hub, 'applied')).toBe(3));
    await eventually(async () => expect(await jobsIn(earlierApi.queue)).toBe(0));
    expect(await counted(hub, 'duplicate')).toBe(0);
    expect(await hub.fleet.detail('eu-1')).toMatchObject({ reports: 3, revision: 'r3' });
  });

  it('gives agents that queue in Redis themselves that queue at registration', () => {
    expect(eu1.queue).toBe(EARLIER_REPORT_QUEUE);
  });
});

describe('when an earlier replica\'s worker reads its queue beside this version\'s API', () => {
  const space = testKeySpace('upgrade-groups');
  let api: Hub;
  let worker: Hub | undefined;
  let connection: Redis;
  let earlierQueue: Queue;
  let queue: Queue;
  let earlierWorker: Worker;
  const takenByEarlier: string[] = [];
  let fleet: Credentials[];

  beforeAll(async () => {
    api = testHub(space, { sweeper: false, rollouts: false, ingest: false });
    fleet = await Promise.all(['eu-1', 'eu-2', 'us-1'].map((name) => registerCluster(api, name)));
    connection = new Redis(space.url, { maxRetriesPerRequest: null });
    earlierQueue = new Queue(EARLIER_REPORT_QUEUE, { connection, prefix: space.prefix });
    queue = new Queue(REPORT_QUEUE, { connection, prefix: space.prefix });
    // As an earlier replica's worker would take any job of its queue (and refuse a group).
    earlierWorker = new Worker(EARLIER_REPORT_QUEUE, async (job) => void takenByEarlier.push(job.id ?? ''), { connection, prefix: space.prefix });
    await earlierWorker.waitUntilReady();
  });

  afterAll(async () => {
    await earlierWorker.close();
    await worker?.close();
    await api.close();
    await Promise.all([earlierQueue.close(), queue.close()]);
    connection.disconnect();
    await space.cleanup();
  });

  it('queues groups where only this version\'s workers take them', async () => {
    const responses = await Promise.all(fleet.map((credentials) => post(api, credentials, [1, 2])));
    expect(responses.map((response) => response.statusCode)).toEqual(fleet.map(() => 202));
    expect(await queue.getWaitingCount()).toBeGreaterThan(0);
    expect(await jobsIn(earlierQueue)).toBe(0);
    expect(takenByEarlier).toEqual([]);

    worker = testHub(space, { sweeper: false, rollouts: false });
    await worker.start();
    await eventually(async () => expect(await counted(worker!, 'applied')).toBe(2 * fleet.length));
    expect(takenByEarlier).toEqual([]);
    expect(await jobsIn(earlierQueue)).toBe(0);
  });
});

describe('when reports wait on both queues', () => {
  const space = testKeySpace('upgrade-depth');
  let hub: Hub;
  let earlierApi: TestSender;
  let gamma: Credentials;

  beforeAll(async () => {
    // No ingest worker: the queues only grow.
    hub = testHub(space, { sweeper: false, rollouts: false, ingest: false, maxReportQueueDepth: 3, reportRetryAfterSeconds: 7 });
    gamma = await registerCluster(hub, 'gamma');
    earlierApi = new TestSender(space, EARLIER_REPORT_QUEUE);
  });

  afterAll(async () => {
    await hub.close();
    await earlierApi.close();
    await space.cleanup();
  });

  it('counts the jobs an earlier replica queued toward the bound and in the queue gauge', async () => {
    for (const seq of [1, 2]) await earlierApi.sendRequest(gamma, [report('gamma', seq, ReportKind.Heartbeat, heartbeatBody())]);
    expect((await post(hub, gamma, [3])).statusCode).toBe(202);
    expect((await post(hub, gamma, [4])).statusCode).toBe(429);
    const metrics = (await (await hub.api()).inject({ url: '/metrics' })).body;
    expect(metrics).toContain(`netfleet_hub_queue_depth{queue="${EARLIER_REPORT_QUEUE}",state="waiting"} 2`);
    expect(metrics).toContain(`netfleet_hub_queue_depth{queue="${REPORT_QUEUE}",state="waiting"} 1`);
  });
});

describe('when a hub stops', () => {
  const space = testKeySpace('upgrade-stop');
  let connection: Redis;
  let queues: Queue[];

  beforeAll(() => {
    connection = new Redis(space.url, { maxRetriesPerRequest: null });
    queues = [REPORT_QUEUE, EARLIER_REPORT_QUEUE].map((name) => new Queue(name, { connection, prefix: space.prefix }));
  });

  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
    await space.cleanup();
  });

  it('closes the worker of each report queue and its blocking connection', async () => {
    const hub = testHub(space, { sweeper: false, rollouts: false });
    await hub.start();
    await eventually(async () => expect(await Promise.all(queues.map((queue) => queue.getWorkersCount()))).toEqual([1, 1]));
    await hub.close();
    expect(await Promise.all(queues.map((queue) => queue.getWorkersCount()))).toEqual([0, 0]);
  });
});
