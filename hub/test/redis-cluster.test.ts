/**
 * The hub and the agent's reporter on a real three-master Redis Cluster: registration,
 * reports through BullMQ, the fleet API, an alert delivered by the delivery worker, the
 * offline sweep, a rollout transition committed by its Lua script, and the assignment
 * long-poll and fleet-head watch woken through pub/sub.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, ClusterList, Credentials } from '@netfleet/shared';
import { startRedisCluster, type PrivateRedisCluster } from '@netfleet/test';
import { Reporter } from '../../agent/src/report/reporter.js';
import { AlertRule, type Hub } from '../src/index.js';
import { reduce, type RolloutEvent } from '../src/rollout/machine.js';
import { CommitResult } from '../src/rollout/store.js';
import { ADMIN_TOKEN, driftItem, eventually, heartbeatBody, quietLogger, registerCluster, testHub } from './helpers.js';
import { startReceiver } from './receivers.js';
import { T0, newRollout, plannedWave } from './rollout/fixtures.js';

const HEARTBEAT_MS = 200;
const { agentVersion: _agentVersion, ...summary } = heartbeatBody('rev-1');

describe('on a Redis Cluster of three masters', () => {
  const prefix = `{nf-cluster-${randomBytes(4).toString('hex')}}`;
  let redis: PrivateRedisCluster;
  let hub: Hub;
  let hubUrl: string;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  const reporters = new Map<string, Reporter>();
  const credentials = new Map<string, Credentials>();

  // Every request is cut after a bound well above the API's own, so a request the hub never
  // answers fails here rather than after fetch's 300 s.
  const get = async <T>(path: string, token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${hubUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: AbortSignal.timeout(30_000) });
    return { status: response.status, body: (await response.json()) as T };
  };

  async function startReporter(cluster: string): Promise<Reporter> {
    const reporter = await Reporter.open({
      credentials: credentials.get(cluster)!, hubUrl, spoolDir: join(dir, cluster), agentVersion: '0.1.0-cluster',
      heartbeatIntervalMs: HEARTBEAT_MS, coalesceMs: 10, logger: quietLogger(),
    });
    reporter.start();
    reporters.set(cluster, reporter);
    return reporter;
  }

  beforeAll(async () => {
    [redis, webhook, dir] = await Promise.all([startRedisCluster(), startReceiver(), mkdtemp(join(tmpdir(), 'netfleet-cluster-'))]);
    hub = testHub({ url: redis.url, prefix }, {
      heartbeatIntervalMs: 3 * HEARTBEAT_MS, sweepIntervalMs: 50, leaseTtlMs: 1_000, deliveryBackoffMs: 50,
      // The rollout below is driven through the store; a controller would race it.
      rollouts: false,
      sinks: [{ type: 'webhook', name: 'hook', url: `${webhook.url}/alerts` }],
    });
    const api = await hub.api();
    hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    await hub.start();
    for (const [cluster, region] of [['c1', 'eu'], ['c2', 'us']] as const) {
      credentials.set(cluster, await registerCluster(hub, cluster, region, { tier: 'prod' }));
    }
  }, 30_000);

  afterAll(async () => {
    await Promise.all([...reporters.values()].map((reporter) => reporter.close()));
    await hub?.close();
    await webhook?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ingests the reports of real reporters and lists the clusters in the fleet API', async () => {
    for (const cluster of ['c1', 'c2']) (await startReporter(cluster)).heartbeat(summary);
    const list = await eventually(async () => {
      const { status, body } = await get<ClusterList>('/api/v1/clusters?label=tier%3Dprod');
      expect(status).toBe(200);
      expect(body.items.map((item) => [item.name, item.state, item.region])).toEqual([['c1', 'online', 'eu'], ['c2', 'online', 'us']]);
      return body;
    });
    expect(list.total).toBe(2);
    expect((await get<ClusterList>('/api/v1/clusters?region=us')).body.items.map((item) => item.name)).toEqual(['c2']);
  });

  it('keeps every key of the hub, its queues included, on the one master that owns the prefix slot', async () => {
    const counts = await Promise.all(redis.nodes.map(async (node) => {
      const client = new Redis({ host: '127.0.0.1', port: node.port });
      try {
        return await client.dbsize();
      } finally {
        client.disconnect();
      }
    }));
    expect(counts.filter((count) => count > 0)).toHaveLength(1);
    expect(await hub.redis.exists(`${prefix}:reports:meta`)).toBe(1);
  });

  it('fires and delivers an alert for drift a reporter sends', async () => {
    reporters.get('c1')!.drift([driftItem('main')], 'rev-1');
    await eventually(() => expect(webhook.received.map((request) => (JSON.parse(request.body) as { alert: Alert }).alert)).toEqual([
      expect.objectContaining({ rule: AlertRule.DriftDetected, status: 'firing', labels: expect.objectContaining({ cluster: 'c1', region: 'eu' }) }),
    ]));
    const { body } = await get<{ items: Alert[] }>('/api/v1/alerts?status=firing');
    expect(body.items.map((alert) => alert.fingerprint)).toEqual([`${AlertRule.DriftDetected}:c1`]);
  });

  it('commits a rollout transition and wakes the cluster\'s assignment long-poll through pub/sub', async () => {
    const rollout = newRollout({ plan: { waves: [plannedWave('canary', ['c2'])], excluded: [] } });
    expect(await hub.rollouts.store.create(rollout)).toBe(CommitResult.Committed);
    const token = credentials.get('c2')!.apiToken;
    // A first poll subscribes the hub to assignment changes.
    expect((await get<{ assignment: null }>('/api/v1/assignment', token)).body).toEqual({ assignment: null });
    const startedAt = Date.now();
    let answered = false;
    const poll = get<{ assignment: { revision: string; rolloutId: string } | null }>('/api/v1/assignment?wait=20s', token)
      .finally(() => (answered = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Still waiting (no assignment yet) when the transition assigns the revision.
    expect(answered).toBe(false);
    const transition = reduce(rollout, { type: 'tick', at: T0 } as RolloutEvent);
    expect(await hub.rollouts.store.commit(rollout.version, transition)).toBe(CommitResult.Committed);
    const { status, body } = await poll;
    expect(status).toBe(200);
    expect(body.assignment).toMatchObject({ revision: 'rev-new', rolloutId: 'r1' });
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(await hub.rollouts.store.commit(rollout.version, transition)).toBe(CommitResult.AlreadyCommitted);
    // The rollout as a whole (header, plan, clusters' hash) and what the controller reads of the clusters, from the master holding the slot.
    expect(await hub.rollouts.store.get('r1')).toEqual(transition.rollout);
    expect([...(await hub.fleet.rolloutFacts(['c2', 'no-such-cluster'])).keys()]).toEqual(['c2']);
  });

  it('tells a fleet-head watcher of a new head (MULTI with PUBLISH on a Cluster)', async () => {
    let heads = 0;
    const watch = hub.rollouts.heads.watch(() => heads++, quietLogger());
    try {
      // Publish until the watcher (subscribing in the background) has seen one.
      await eventually(async () => {
        await hub.rollouts.heads.publish({ revision: 'rev-2', policy: null, seenAt: Date.now() });
        expect(heads).toBeGreaterThan(0);
      });
      expect((await hub.rollouts.heads.latest())?.revision).toBe('rev-2');
    } finally {
      watch.close();
    }
  });

  it('marks a cluster offline once its reporter stops (the sweeper\'s lease and sweep scripts)', async () => {
    await reporters.get('c2')!.close();
    reporters.delete('c2');
    await eventually(async () => expect((await hub.fleet.detail('c2'))?.state).toBe('offline'));
    expect((await hub.fleet.detail('c1'))?.state).toBe('online');
  });

  it('answers API requests with 503 within a bound while no node answers, and serves again once they are back', async () => {
    await Promise.all(redis.nodes.map((node) => node.kill()));
    const asked = Date.now();
    const during = await get<{ error: { code: string } }>('/api/v1/clusters/c1');
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(during).toMatchObject({ status: 503, body: { error: { code: 'HUB_REDIS_UNAVAILABLE' } } });
    await Promise.all(redis.nodes.map((node) => node.restart()));
    // While the client reconnects (the Cluster's state is `fail` until the nodes see each
    // other again) every request is answered within the bound, 503 or 200: none waits in the
    // Cluster's offline queue, which has no bound. The nodes come back empty (no persistence
    // here): the list answers again.
    const answers: Array<{ status: number; ms: number }> = [];
    await eventually(async () => {
      const sent = Date.now();
      const { status } = await get('/api/v1/clusters');
      answers.push({ status, ms: Date.now() - sent });
      expect(status).toBe(200);
    }, { intervalMs: 20 });
    expect(answers.filter(({ status, ms }) => (status !== 200 && status !== 503) || ms > 15_000)).toEqual([]);
  });
});
