import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import {
  HIDDEN_VALUE, REPORT_QUEUE, SyncReason, SyncStatus, createLogger, reportValidator, verifyReportSignature,
  type Credentials, type DriftItem, type Report,
} from '@netfleet/shared';
import { eventually, freePort, sharedRedis } from '@netfleet/test';
import { Hub } from '../../../hub/src/index.js';
import type { ReportJobData } from '../../../hub/src/ingest/report-job.js';
import { Reporter } from './reporter.js';

const logger = createLogger({ name: 'reporter-test', level: 'silent' });
const redis = sharedRedis('reporter');
let dir: string;
let hub: Hub;
let hubUrl: string;
let credentials: Credentials;
let queue: Queue;
const open: Reporter[] = [];

/** A hub API whose queue nothing consumes (no ingest worker), so the tests read what arrived. */
async function startHub(options: { maxReportQueueDepth?: number; reportRetryAfterSeconds?: number } = {}): Promise<void> {
  const prefix = `{${redis.prefix}-${Math.random().toString(36).slice(2, 8)}}`;
  hub = new Hub({
    redisUrl: redis.url, prefix, secret: 'reporter-test-secret-0123456789abcdef', logger, ingest: false, sweeper: false, rollouts: false, ...options,
  });
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
  credentials = await hub.registry.register(bootstrap.token, { cluster: 'eu-1', region: 'eu' });
  hubUrl = await (await hub.api()).listen({ host: '127.0.0.1', port: 0 });
  queue = new Queue(REPORT_QUEUE, { connection: { url: redis.url } as never, prefix });
}

async function reporter(options: { hubUrl?: string; heartbeatIntervalMs?: number; spoolMaxEntries?: number; sendTimeoutMs?: number } = {}): Promise<Reporter> {
  const created = await Reporter.open({
    credentials, hubUrl: options.hubUrl ?? hubUrl, spoolDir: dir, agentVersion: '1.2.3',
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000, coalesceMs: 20, retryMinMs: 20, retryMaxMs: 200, sendTimeoutMs: options.sendTimeoutMs ?? 2_000,
    spoolMaxEntries: options.spoolMaxEntries, logger,
  });
  open.push(created);
  created.start();
  return created;
}

/** Reports on the queue, by seq, each with the sender its job names (the hub queues the requests of a commit window as one job). */
async function queued(): Promise<Array<{ sender: string; report: Report }>> {
  const jobs = await queue.getJobs(['waiting']);
  return jobs.flatMap((job) => (job.data as ReportJobData).requests.flatMap(({ sender, reports }) => reports.map((text) => ({ sender, report: JSON.parse(text) as Report }))))
    .sort((a, b) => a.report.seq - b.report.seq);
}

const syncBody = (revision: string) => ({ revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
const summary = { revision: 'r1', objects: 3, driftCount: 0, readiness: { ready: 3, notReady: 0, waiting: 0 } };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-reporter-'));
});

afterEach(async () => {
  for (const created of open.splice(0)) await created.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await hub?.close();
  await redis.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('when the hub is reachable', () => {
  beforeEach(() => startHub());

  it('posts signed, valid reports that the hub queues with the cluster as their sender', async () => {
    const sender = await reporter();
    sender.heartbeat(summary);
    sender.sync(syncBody('r1'));
    await eventually(async () => (await queued()).length === 2);
    const jobs = await queued();
    expect(jobs.map((job) => [job.report.seq, job.report.kind])).toEqual([[1, 'heartbeat'], [2, 'sync']]);
    // Each request in a job names the cluster whose token sent its reports.
    for (const { sender } of jobs) expect(sender).toBe('eu-1');
    for (const { report } of jobs) {
      expect(reportValidator.check(report)).toBe(true);
      expect(verifyReportSignature(report, credentials.reportKey)).toBe(true);
    }
    expect(jobs[0]!.report.body).toMatchObject({ agentVersion: '1.2.3', revision: 'r1' });
  });

  it('sends a report given right after start once flushed, without waiting for a retry', async () => {
    const sender = await reporter({ sendTimeoutMs: 10_000 });
    sender.sync(syncBody('first'));
    await sender.flush();
    expect((await queued()).map((job) => [job.sender, job.report.seq])).toEqual([['eu-1', 1]]);
    expect(sender.stats.spooled).toBe(0);
  });

  it('coalesces a burst of sync results into the last one', async () => {
    const sender = await reporter();
    for (const revision of ['a', 'b', 'c', 'd']) sender.sync(syncBody(revision));
    await sender.flush();
    const jobs = await queued();
    expect(jobs.map((job) => (job.report.body as { revision: string }).revision)).toEqual(['d']);
  });

  it('sends drift only when it changed, with Secret values hidden', async () => {
    const sender = await reporter();
    const secret: DriftItem = {
      id: '_Secret_ns_creds', subject: { group: '', kind: 'Secret', namespace: 'ns', name: 'creds' }, type: 'changed', policy: 'alert',
      fields: [{ path: '/data/password', desired: 'aHVudGVyMg==', live: 'b3RoZXI=' }],
    };
    sender.drift([secret], 'r1');
    await sender.flush();
    sender.drift([secret], 'r1');
    await sender.flush();
    sender.drift([], 'r1');
    await sender.flush();
    const jobs = await queued();
    expect(jobs.map((job) => (job.report.body as { items: unknown[] }).items.length)).toEqual([1, 0]);
    expect(JSON.stringify(jobs)).not.toContain('aHVudGVyMg==');
    expect((jobs[0]!.report.body as { items: DriftItem[] }).items[0]!.fields[0]!.live).toBe(HIDDEN_VALUE);
  });

  it('sends heartbeats on its timer with the latest summary', async () => {
    const sender = await reporter({ heartbeatIntervalMs: 50 });
    sender.heartbeat(summary);
    sender.heartbeat({ ...summary, revision: 'r2' });
    await eventually(async () => (await queued()).length >= 3);
    const revisions = (await queued()).map((job) => (job.report.body as { revision: string }).revision);
    expect(revisions[0]).toBe('r1');
    expect(revisions.slice(1).every((revision) => revision === 'r2')).toBe(true);
  });
});

describe('when the hub is unreachable', () => {
  beforeEach(() => startHub());

  it('keeps reports in the spool on disk and sends them in order from the next run', async () => {
    const deadPort = await freePort();
    const offline = await reporter({ hubUrl: `http://127.0.0.1:${deadPort}` });
    offline.sync(syncBody('s1'));
    await offline.flush();
    offline.drift([], 'd1');
    await offline.flush();
    offline.sync(syncBody('s2'));
    await offline.flush();
    expect(offline.stats).toMatchObject({ sent: 0, spooled: 3 });
    expect((await readFile(join(dir, 'spool.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(3);
    await offline.close();
    open.splice(open.indexOf(offline), 1);

    const online = await reporter();
    online.sync(syncBody('s3'));
    await online.flush();
    await eventually(async () => (await queued()).length === 4);
    const jobs = await queued();
    expect(jobs.map((job) => `${job.report.kind}:${job.report.seq}`)).toEqual(['sync:1', 'drift:2', 'sync:3', `sync:${jobs[3]!.report.seq}`]);
    expect(jobs[3]!.report.seq).toBeGreaterThan(3);
    expect(online.stats.spooled).toBe(0);
  });

  it('drops the oldest heartbeats when the spool is full, never a sync', async () => {
    const deadPort = await freePort();
    const offline = await reporter({ hubUrl: `http://127.0.0.1:${deadPort}`, spoolMaxEntries: 3, heartbeatIntervalMs: 20 });
    offline.sync(syncBody('keep'));
    await offline.flush();
    offline.heartbeat(summary);
    await eventually(() => offline.stats.dropped >= 3);
    const kept = (await readFile(join(dir, 'spool.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Report);
    expect(kept[0]).toMatchObject({ kind: 'sync', body: { revision: 'keep' } });
    expect(kept.length).toBeLessThanOrEqual(3);
  });
});

describe('when the hub is behind (report queue over its bound)', () => {
  it('keeps the reports spooled, waits the Retry-After the 429 gives, and sends them once the queue drained', async () => {
    await startHub({ maxReportQueueDepth: 1, reportRetryAfterSeconds: 4 });
    await queue.add('filler', '{}', { jobId: 'filler' });
    const throttled = async () => (await hub.metrics.reportsThrottled.get()).values[0]?.value ?? 0;
    const sender = await reporter();
    sender.sync(syncBody('held'));
    await sender.flush();
    await eventually(async () => (await throttled()) >= 1);
    const firstRefusal = Date.now();
    expect(sender.stats.spooled).toBe(1);
    // Without Retry-After the backoff (20 ms, doubling to 200 ms) would ask again about ten
    // times in 2 s; with it the next request comes 4 to 6 s after the refusal.
    await eventually(() => Date.now() - firstRefusal >= 2_000);
    expect(await throttled()).toBe(1);
    await queue.remove('filler');
    await eventually(async () => (await queued()).length === 1);
    expect((await queued())[0]!.report.body).toMatchObject({ revision: 'held' });
    expect(sender.stats).toMatchObject({ spooled: 0, sent: 1 });
  });
});

describe('when the hub refuses a report for good', () => {
  it('drops that report alone (413 body too large) and sends the others', async () => {
    await startHub();
    const sender = await reporter();
    sender.sync(syncBody('before'));
    await sender.flush();
    // A sync error is bounded by the protocol; the hub's body limit is what refuses this one.
    sender.sync({ ...syncBody('huge'), error: 'x'.repeat(1_100_000) });
    sender.heartbeat(summary);
    await sender.flush();
    await eventually(() => sender.stats.spooled === 0);
    const bodies = (await queued()).map((job) => `${job.report.kind}:${(job.report.body as { revision: string }).revision}`);
    expect(bodies).toEqual(['sync:before', 'heartbeat:r1']);
  });
});
