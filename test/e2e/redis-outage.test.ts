import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SyncReason, SyncStatus, createLogger, type Credentials } from '@netfleet/shared';
import { eventually, startRedis, type PrivateRedis } from '../src/index.js';
import { Hub } from '../../hub/src/index.js';
import { Reporter } from '../../agent/src/report/index.js';

const ADMIN = 'outage-test-admin-token-0123456789';
const logger = createLogger({ name: 'outage-test', level: process.env.NETFLEET_TEST_LOG ?? 'silent' });

describe('when Redis is killed mid-stream and restarted (AOF)', () => {
  let redis: PrivateRedis;
  let hub: Hub;
  let reporter: Reporter;
  let spoolDir: string;
  let credentials: Credentials;

  beforeAll(async () => {
    redis = await startRedis({ aof: true });
    // Every acknowledged write must survive SIGKILL: fsync each one.
    const admin = new Redis(redis.url);
    await admin.config('SET', 'appendfsync', 'always');
    admin.disconnect();
    hub = new Hub({ redisUrl: redis.url, secret: 'outage-test-secret-0123456789abcdef', adminTokens: [ADMIN], logger, sweeper: false });
    await hub.start();
    const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
    credentials = await hub.registry.register(bootstrap.token, { cluster: 'eu-1', region: 'eu' });
    spoolDir = await mkdtemp(join(tmpdir(), 'netfleet-outage-'));
    reporter = await Reporter.open({
      credentials, redisUrl: redis.url, spoolDir, agentVersion: '0.1.0', coalesceMs: 1,
      retryMinMs: 50, retryMaxMs: 300, sendTimeoutMs: 1_000, logger,
    });
    reporter.start();
  });

  afterAll(async () => {
    await reporter?.close();
    await hub?.close();
    await redis?.dispose();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it('applies every report exactly once, and neither hub nor reporter crashes', { timeout: 90_000 }, async () => {
    const revisions: string[] = [];
    let spooledDuringOutage = 0;
    const sendOne = async () => {
      const revision = `rev-${String(revisions.length).padStart(3, '0')}`;
      revisions.push(revision);
      reporter.sync({ revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
      await reporter.flush();
    };

    // The agent keeps reporting on its own while Redis dies and comes back under it.
    let stop = false;
    let outage = false;
    const stream = (async () => {
      while (!stop) {
        await sendOne();
        if (outage) spooledDuringOutage = Math.max(spooledDuringOutage, reporter.stats.spooled);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const reached = (count: number) => eventually(() => expect(revisions.length).toBeGreaterThanOrEqual(count));

    await reached(25);
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.reports).toBeGreaterThan(0));
    outage = true;
    await redis.kill();
    // The API says the store is away, plainly, instead of hanging (the test's budget) or failing as a bug.
    const api = await hub.api();
    const during = await api.inject({ url: '/api/v1/clusters/eu-1', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(during.statusCode).toBe(503);
    expect(during.json()).toMatchObject({ error: { code: 'HUB_REDIS_UNAVAILABLE', hint: expect.stringContaining('Redis') } });
    await reached(50);
    await redis.restart();
    outage = false;
    await reached(75);
    stop = true;
    await stream;

    expect(spooledDuringOutage).toBeGreaterThan(0);
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.reports).toBe(revisions.length));
    await eventually(() => expect(reporter.stats.spooled).toBe(0));
    const events = (await hub.fleet.events('eu-1', 200)).filter((event) => event.type === 'sync');
    const seen = events.map((event) => event.revision!).sort();
    expect(seen).toEqual([...revisions].sort());
    expect(new Set(events.map((event) => event.seq)).size).toBe(revisions.length);
    expect((await hub.fleet.detail('eu-1'))?.sync?.revision).toBe(revisions.at(-1));
    // The hub keeps serving.
    expect((await api.inject({ url: '/readyz' })).statusCode).toBe(200);
    expect((await api.inject({ url: '/api/v1/clusters/eu-1', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode).toBe(200);
  });

  it('lets the reporter close while Redis is down, keeping what it could not send', async () => {
    await redis.kill();
    reporter.sync({ revision: 'while-down', status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
    await reporter.close();
    expect(reporter.stats.spooled).toBe(1);
    const reopened = await Reporter.open({ credentials: credentials, redisUrl: redis.url, spoolDir, agentVersion: '0.1.0', logger });
    expect(reopened.stats.spooled).toBe(1);
    await reopened.close();
    await redis.restart();
  });
});
