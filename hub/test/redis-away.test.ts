import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { ClusterState, ReportKind } from '@netfleet/shared';
import { createWorkTree, startGitServer, startRedis, type GitServer, type PrivateRedis, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import {
  ADMIN_TOKEN, TestSender, eventually, exampleFleetFiles, heartbeatBody, registerCluster, report, signedWebhookHeaders, testHub,
} from './helpers.js';

const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';
const INTERVAL = 2_000;

describe('when the hub\'s Redis goes away (a private redis-server, killed, restarted, frozen)', () => {
  let redis: PrivateRedis;
  let server: GitServer;
  let tree: WorkTree;
  let cacheDir: string;
  let hub: Hub;
  let api: FastifyInstance;
  let sender: TestSender;
  let seen: number;

  beforeAll(async () => {
    redis = await startRedis({ aof: true, args: ['--enable-debug-command', 'yes'] });
    server = await startGitServer();
    const repo = await server.createRepo('fleet');
    tree = await createWorkTree(repo.dir);
    await tree.write(await exampleFleetFiles());
    await tree.commit('the fleet');
    await tree.push();
    cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-redis-away-'));
    const space = { url: redis.url, prefix: '{nf-away}' };
    hub = testHub(space, {
      sweeper: false, heartbeatIntervalMs: INTERVAL, webhookSecret: WEBHOOK_SECRET,
      fleetRepo: { url: repo.url, cacheDir, intervalMs: 600_000 },
    });
    await hub.start();
    api = await hub.api();
    sender = new TestSender(space);
    const credentials = await registerCluster(hub, 'eu-1', 'eu');
    await sender.send(credentials, report('eu-1', 1, ReportKind.Heartbeat, heartbeatBody()));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.state).toBe(ClusterState.Online));
    seen = Number(await hub.redis.hget(hub.keys.cluster('eu-1'), 'lastSeen'));
    // The first head is read, so a webhook's wake-up finds nothing new to hand on.
    await eventually(async () => expect(await hub.rollouts.heads.latest()).not.toBeNull());
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await redis.dispose();
    await tree.dispose();
    await server.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('answers 503 HUB_REDIS_UNAVAILABLE on every route that reads Redis, the cluster list included', async () => {
    await redis.kill();
    const wrong: string[] = [];
    for (const url of [
      '/api/v1/clusters', '/api/v1/clusters/eu-1', '/api/v1/clusters/eu-1/drift', '/api/v1/clusters/eu-1/events',
      '/api/v1/alerts', '/api/v1/alerts/deliveries', '/api/v1/rollouts', '/api/v1/rollouts/abcdef012345', '/api/v1/bootstrap-tokens',
      '/api/v1/audit',
    ]) {
      const response = await api.inject({ url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (response.statusCode !== 503 || response.json().error?.code !== 'HUB_REDIS_UNAVAILABLE') wrong.push(`${url}: ${response.statusCode} ${response.body}`);
    }
    expect(wrong).toEqual([]);
  });

  it('still serves /metrics, saying Redis is down (netfleet_hub_redis_up 0) and leaving out what only Redis knows', async () => {
    const asked = Date.now();
    const response = await api.inject({ url: '/metrics' });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.body).toMatch(/^netfleet_hub_redis_up 0$/m);
    expect(response.body).not.toMatch(/^netfleet_hub_queue_depth\{/m);
    expect(response.body).not.toMatch(/^netfleet_hub_clusters\{/m);
    // Well within Prometheus' default scrape timeout (10 s).
    expect(Date.now() - asked).toBeLessThan(8_000);
  });

  it('marks no cluster offline for one heartbeat interval after Redis is back, then sweeps as before', async () => {
    // Silent for longer than two intervals, through no fault of its own: Redis was away.
    await eventually(() => expect(Date.now()).toBeGreaterThan(seen + 2 * INTERVAL));
    await redis.restart();
    await eventually(async () => expect(await hub.redis.ping()).toBe('PONG'));
    expect((await api.inject({ url: '/metrics' })).body).toMatch(/^netfleet_hub_redis_up 1$/m);
    expect((await hub.sweeper.tick()).offline).toEqual([]);
    expect((await hub.fleet.detail('eu-1'))?.state).toBe(ClusterState.Online);
    // Past the grace period a cluster that has still not reported is offline.
    expect((await hub.sweeper.tick(Date.now() + INTERVAL)).offline).toEqual(['eu-1']);
  });

  it('answers a push webhook 503 while Redis is frozen instead of waiting for it', async () => {
    const freezer = new Redis(redis.url, { maxRetriesPerRequest: null });
    // Connected first, so the freeze starts as the command is written, before the webhook.
    await freezer.ping();
    // Longer than the API's command timeout (5 s): without a bound the webhook waits it out.
    const frozen = freezer.call('DEBUG', 'SLEEP', '12');
    try {
      const body = JSON.stringify({ ref: 'refs/heads/main', after: await tree.resolve('HEAD') });
      const asked = Date.now();
      const response = await api.inject({ method: 'POST', url: '/api/v1/webhooks/git', payload: body, headers: signedWebhookHeaders(WEBHOOK_SECRET, body) });
      expect(response.statusCode, response.body).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'HUB_REDIS_UNAVAILABLE' } });
      expect(Date.now() - asked).toBeLessThan(12_000);
    } finally {
      await frozen;
      freezer.disconnect();
    }
  });
});
