/**
 * Reports survive the hub and its Redis going away. Agents report over HTTPS to the hub API
 * with nothing but their cluster credentials (no Redis URL, no Redis password: Redis asks
 * for one only the hub has); a real agent daemon syncs a Kubernetes API test server and
 * reports, and a second reporter streams numbered sync reports. The hub is stopped and
 * started again on the same address, then Redis is SIGKILLed and restarted from its AOF;
 * every report is applied exactly once and nothing crashes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncReason, SyncStatus, createLogger, type ClusterDetail, type Credentials } from '@netfleet/shared';
import { eventually, freePort, selfSignedCertificate, startRedis, type KubeApiServer, type PrivateRedis } from '../src/index.js';
import { Hub } from '../../hub/src/index.js';
import { Reporter, connectToHub, saveCredentials } from '../../agent/src/report/index.js';
import type { AgentDaemon } from '../../agent/src/daemon/daemon.js';
import { CLUSTER, daemonFor, startFleetRepo, type FleetRepo } from '../../agent/test/fleet.js';
import { startCluster } from '../../agent/test/harness.js';

const ADMIN = 'outage-test-admin-token-0123456789';
const SECRET = 'outage-test-secret-0123456789abcdef';
const REDIS_PASSWORD = 'outage-test-redis-password-0123456789';
const STREAMER = 'eu-stream';
const HEARTBEAT_MS = 200;
const logger = createLogger({ name: 'outage-test', level: process.env.NETFLEET_TEST_LOG ?? 'silent' });

describe('when agents report over HTTPS while the hub restarts and its Redis is killed (AOF)', () => {
  let redis: PrivateRedis;
  let tls: { key: string; cert: string };
  let port: number;
  let hubUrl: string;
  let hub: Hub;
  let kube: KubeApiServer;
  let fleet: FleetRepo;
  let daemon: AgentDaemon;
  let agent: { reporter: Reporter; close(): Promise<void> };
  let streamer: Reporter;
  let dir: string;
  let streamerCredentials: Credentials;

  /** A hub replica serving HTTPS on the test's fixed port; the Redis password is the hub's alone. */
  async function startHub(): Promise<Hub> {
    const started = new Hub({
      redisUrl: redis.url, redisPassword: REDIS_PASSWORD, tls, secret: SECRET, adminTokens: [ADMIN], logger,
      sweeper: false, rollouts: false, heartbeatIntervalMs: HEARTBEAT_MS,
      // Every sync the streamer sends must still be in its events at the end.
      eventsCap: 500,
    });
    await (await started.api()).listen({ host: '127.0.0.1', port });
    await started.start();
    return started;
  }

  const detail = async (cluster: string) => {
    const response = await (await hub.api()).inject({ url: `/api/v1/clusters/${cluster}`, headers: { authorization: `Bearer ${ADMIN}` } });
    return response.statusCode === 200 ? (response.json() as ClusterDetail) : undefined;
  };

  beforeAll(async () => {
    // Every acknowledged write must survive SIGKILL: fsync each one.
    redis = await startRedis({ aof: true, args: ['--appendfsync', 'always', '--requirepass', REDIS_PASSWORD] });
    [tls, port, kube, fleet] = await Promise.all([selfSignedCertificate(), freePort(), startCluster(), startFleetRepo()]);
    hubUrl = `https://127.0.0.1:${port}`;
    hub = await startHub();
    dir = await mkdtemp(join(tmpdir(), 'netfleet-outage-'));

    const register = async (cluster: string) => {
      const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
      return hub.registry.register(bootstrap.token, { cluster, region: 'eu' });
    };
    await saveCredentials(join(dir, 'credentials.json'), await register(CLUSTER));
    streamerCredentials = await register(STREAMER);

    const fast = { retryMinMs: 50, retryMaxMs: 300, sendTimeoutMs: 2_000, hubUrl, hubCa: tls.cert, logger };
    daemon = await daemonFor(kube, await fleet.source());
    agent = await connectToHub(daemon.events, {
      ...fast, credentialsFile: join(dir, 'credentials.json'), spoolDir: join(dir, 'agent-spool'), agentVersion: '0.1.0-outage',
      heartbeatIntervalMs: HEARTBEAT_MS, coalesceMs: 20,
    });
    await daemon.start();
    streamer = await Reporter.open({ ...fast, credentials: streamerCredentials, spoolDir: join(dir, 'stream-spool'), agentVersion: '0.1.0', coalesceMs: 1 });
    streamer.start();
  });

  afterAll(async () => {
    await daemon?.stop();
    await agent?.close();
    await streamer?.close();
    await hub?.close();
    await kube?.stop();
    await fleet?.dispose();
    await redis?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('applies every report exactly once, and neither hub nor agents crash', { timeout: 150_000 }, async () => {
    const revisions: string[] = [];
    let spooledWhileHubAway = 0;
    let spooledWhileRedisAway = 0;
    const now: { phase: 'up' | 'hub-away' | 'redis-away' } = { phase: 'up' };
    // The streamer keeps reporting on its own while the hub and Redis go away under it.
    let stop = false;
    const stream = (async () => {
      while (!stop) {
        const revision = `rev-${String(revisions.length).padStart(3, '0')}`;
        revisions.push(revision);
        streamer.sync({ revision, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
        await streamer.flush();
        const spooled = streamer.stats.spooled;
        if (now.phase === 'hub-away') spooledWhileHubAway = Math.max(spooledWhileHubAway, spooled);
        if (now.phase === 'redis-away') spooledWhileRedisAway = Math.max(spooledWhileRedisAway, spooled);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const reached = (count: number) => eventually(() => expect(revisions.length).toBeGreaterThanOrEqual(count));

    await reached(20);
    await eventually(async () => expect((await detail(CLUSTER))?.sync?.status).toBe('succeeded'));
    await eventually(async () => expect((await detail(STREAMER))?.reports).toBeGreaterThan(0));

    // The hub goes away: agents keep their reports spooled.
    now.phase = 'hub-away';
    await hub.close();
    await reached(revisions.length + 20);
    await eventually(() => expect(agent.reporter.stats.spooled).toBeGreaterThan(0));
    hub = await startHub();
    now.phase = 'up';
    await reached(revisions.length + 20);

    // Redis goes away: the API refuses reports plainly (503) and agents spool them again.
    now.phase = 'redis-away';
    await redis.kill();
    const api = await hub.api();
    const refused = await api.inject({
      method: 'POST', url: '/api/v1/reports', headers: { authorization: `Bearer ${streamerCredentials.apiToken}` },
      payload: { reports: [{ cluster: STREAMER, seq: 1_000_000 }] },
    });
    // Authentication itself needs Redis: either way the store is named as the trouble.
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toMatchObject({ error: { code: 'HUB_REDIS_UNAVAILABLE' } });
    await reached(revisions.length + 20);
    await redis.restart();
    now.phase = 'up';
    await reached(revisions.length + 20);
    stop = true;
    await stream;

    expect(spooledWhileHubAway).toBeGreaterThan(0);
    expect(spooledWhileRedisAway).toBeGreaterThan(0);
    // The streamer: every sync applied once, in the events, the last one in the state.
    await eventually(async () => expect((await detail(STREAMER))?.reports).toBe(revisions.length));
    await eventually(() => expect(streamer.stats.spooled).toBe(0));
    const events = (await hub.fleet.events(STREAMER, 500)).filter((event) => event.type === 'sync');
    expect(events.map((event) => event.revision!).sort()).toEqual([...revisions].sort());
    expect(new Set(events.map((event) => event.seq)).size).toBe(revisions.length);
    expect((await detail(STREAMER))?.sync?.revision).toBe(revisions.at(-1));
    // The daemon: every report it numbered (1..lastSeq, none dropped) applied once.
    await daemon.stop();
    await agent.reporter.flush();
    await eventually(() => expect(agent.reporter.stats.spooled).toBe(0));
    expect(agent.reporter.stats.dropped).toBe(0);
    await eventually(async () => expect((await detail(CLUSTER))).toMatchObject({
      lastSeq: agent.reporter.stats.lastSeq, reports: agent.reporter.stats.lastSeq,
    }));
    // The hub keeps serving.
    expect((await api.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('lets a reporter close while the hub is down, keeping what it could not send', async () => {
    await hub.close();
    streamer.sync({ revision: 'while-down', status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes: [] });
    await streamer.close();
    expect(streamer.stats.spooled).toBe(1);
    const reopened = await Reporter.open({ credentials: streamerCredentials, hubUrl, hubCa: tls.cert, spoolDir: join(dir, 'stream-spool'), agentVersion: '0.1.0', logger });
    expect(reopened.stats.spooled).toBe(1);
    await reopened.close();
    hub = await startHub();
  });
});
