import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterState, ReportKind, type Credentials } from '@netfleet/shared';
import { AlertRule, type Hub } from '../src/index.js';
import { Sweeper } from '../src/sweeper/sweeper.js';
import { TestSender, eventually, heartbeatBody, quietLogger, registerCluster, report, testHub, testKeySpace } from './helpers.js';

const INTERVAL = 1_000;

describe('when a cluster stops heartbeating (sweeper ticks driven by the test)', () => {
  const space = testKeySpace('sweep');
  let hub: Hub;
  let sender: TestSender;
  let credentials: Credentials;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, heartbeatIntervalMs: INTERVAL });
    await hub.start();
    sender = new TestSender(space);
    credentials = await registerCluster(hub, 'eu-1', 'eu');
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await space.cleanup();
  });

  async function lastSeen(): Promise<number> {
    return Number(await hub.redis.hget(hub.keys.cluster('eu-1'), 'lastSeen'));
  }

  it('stays online until two heartbeat intervals have passed, then goes offline with an alert', async () => {
    await sender.send(credentials, report('eu-1', 1, ReportKind.Heartbeat, heartbeatBody()));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.state).toBe(ClusterState.Online));
    const seen = await lastSeen();
    expect((await hub.sweeper.tick(seen + 2 * INTERVAL - 1)).offline).toEqual([]);
    expect((await hub.sweeper.tick(seen + 2 * INTERVAL)).offline).toEqual(['eu-1']);
    const detail = await hub.fleet.detail('eu-1');
    expect(detail).toMatchObject({ state: ClusterState.Offline, offlineSince: new Date(seen + 2 * INTERVAL).toISOString() });
    expect((await hub.fleet.events('eu-1', 1))[0]).toMatchObject({ type: 'offline', message: 'missed 2 heartbeats' });
    expect((await hub.alerts.get(`${AlertRule.ClusterOffline}:eu-1`))?.status).toBe('firing');
    expect((await hub.sweeper.tick(seen + 10 * INTERVAL)).offline).toEqual([]);
  });

  it('comes back with the next report and resolves the offline alert', async () => {
    await sender.send(credentials, report('eu-1', 2, ReportKind.Heartbeat, heartbeatBody()));
    await eventually(async () => expect((await hub.fleet.detail('eu-1'))?.state).toBe(ClusterState.Online));
    expect((await hub.fleet.detail('eu-1'))?.offlineSince).toBeNull();
    expect((await hub.fleet.events('eu-1', 1))[0]?.type).toBe('back');
    expect((await hub.alerts.get(`${AlertRule.ClusterOffline}:eu-1`))?.status).toBe('resolved');
    expect(await hub.redis.zscore(hub.keys.index('state', 'offline'), 'eu-1')).toBeNull();
  });
});

describe('when more clusters fall silent at once than one sweep batch holds', () => {
  const space = testKeySpace('sweep-many');
  const BATCH = 4;
  const names = Array.from({ length: 3 * BATCH + 2 }, (_unused, index) => `m-${String(index).padStart(2, '0')}`);
  let hub: Hub;
  let sender: TestSender;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, heartbeatIntervalMs: INTERVAL });
    await hub.start();
    sender = new TestSender(space);
    for (const name of names) await sender.send(await registerCluster(hub, name, 'eu'), report(name, 1, ReportKind.Heartbeat, heartbeatBody('rev-1')));
    await eventually(async () => expect((await hub.fleet.list({ limit: 100, state: ClusterState.Online })).total).toBe(names.length));
  });

  afterAll(async () => {
    await sender.close();
    await hub.close();
    await space.cleanup();
  });

  it('marks every one offline with its alert in one pass, batch after batch, the newest stale too', async () => {
    const sweeper = new Sweeper(hub.redis, hub.scripts, hub.alerts, {
      offlineAfterMs: 2 * INTERVAL, intervalMs: INTERVAL, leaseTtlMs: 10 * INTERVAL, replicaId: 'many', batchSize: BATCH,
      repeatPassIntervalMs: 30_000, graceAfterRedisMs: INTERVAL,
    }, quietLogger());
    // A name at the stale end that is no online cluster: the batch taking it marks one fewer, and the pass goes on.
    await hub.redis.zadd(hub.keys.lastSeen(), 0, 'gone');
    const newest = Math.max(...(await hub.redis.zrange(hub.keys.lastSeen(), 0, -1, 'WITHSCORES')).filter((_value, index) => index % 2 === 1).map(Number));

    const result = await sweeper.tick(newest + 2 * INTERVAL);
    expect(result.offline.sort()).toEqual(names);
    expect(await hub.redis.zcard(hub.keys.lastSeen())).toBe(0);
    expect((await hub.fleet.list({ limit: 100, state: ClusterState.Offline })).total).toBe(names.length);
    for (const name of names) {
      expect(await hub.alerts.get(`${AlertRule.ClusterOffline}:${name}`)).toMatchObject({ status: 'firing', labels: { cluster: name, region: 'eu', revision: 'rev-1' } });
    }
    await sweeper.close();
  });
});

describe('when two hub replicas share one Redis', () => {
  const space = testKeySpace('replicas');
  const hubs: Hub[] = [];
  let sender: TestSender;

  beforeAll(async () => {
    for (const replicaId of ['replica-a', 'replica-b']) {
      const hub = testHub(space, { replicaId, heartbeatIntervalMs: 300, sweepIntervalMs: 50, leaseTtlMs: 500, ingestConcurrency: 8 });
      await hub.start();
      hubs.push(hub);
    }
    sender = new TestSender(space);
  });

  afterAll(async () => {
    await sender.close();
    for (const hub of hubs) await hub.close().catch(() => undefined);
    await space.cleanup();
  });

  it('applies every report once even when each is delivered twice', async () => {
    const clusters: Array<[string, Credentials]> = [];
    for (let index = 0; index < 5; index += 1) clusters.push([`r-${index}`, await registerCluster(hubs[0]!, `r-${index}`, 'eu')]);
    const perCluster = 40;
    const sends: Promise<unknown>[] = [];
    for (let seq = 1; seq <= perCluster; seq += 1) {
      for (const [name, credentials] of clusters) {
        const kind = seq % 4 === 0 ? ReportKind.Sync : ReportKind.Heartbeat;
        const body = kind === ReportKind.Sync
          ? { revision: `rev-${seq}`, status: 'succeeded', reason: 'Succeeded', changes: [] }
          : heartbeatBody(`rev-${seq}`);
        const unsigned = report(name, seq, kind, body as never);
        sends.push(sender.send(credentials, unsigned));
        sends.push(sender.send(credentials, unsigned, { jobId: `${name}.${seq}-again` }));
      }
    }
    await Promise.all(sends);
    const applied = async () => {
      let total = 0;
      for (const hub of hubs) {
        total += (await hub.metrics.reports.get()).values.filter((value) => value.labels.result === 'applied').reduce((sum, value) => sum + value.value, 0);
      }
      return total;
    };
    const duplicates = async () => {
      let total = 0;
      for (const hub of hubs) {
        total += (await hub.metrics.reports.get()).values.filter((value) => value.labels.result === 'duplicate').reduce((sum, value) => sum + value.value, 0);
      }
      return total;
    };
    await eventually(async () => expect((await applied()) + (await duplicates())).toBe(2 * 5 * perCluster));
    expect(await applied()).toBe(5 * perCluster);
    for (const [name] of clusters) {
      const detail = await hubs[0]!.fleet.detail(name);
      expect(detail?.reports).toBe(perCluster);
      const syncEvents = (await hubs[0]!.fleet.events(name, 200)).filter((event) => event.type === 'sync');
      expect(syncEvents.map((event) => event.seq).sort((a, b) => a! - b!)).toEqual(Array.from({ length: perCluster / 4 }, (_, i) => 4 * (i + 1)));
    }
  });

  it('runs the sweeper on one replica at a time, and the other takes over when it stops', async () => {
    await eventually(() => expect(hubs.filter((hub) => hub.sweeper.isLeader)).toHaveLength(1));
    const leader = hubs.find((hub) => hub.sweeper.isLeader)!;
    const follower = hubs.find((hub) => hub !== leader)!;
    const followerTicks = follower.sweeper.leaderTicks;
    const leaderTicks = leader.sweeper.leaderTicks;
    await eventually(() => expect(leader.sweeper.leaderTicks).toBeGreaterThan(leaderTicks + 3));
    expect(follower.sweeper.leaderTicks).toBe(followerTicks);
    expect(follower.sweeper.isLeader).toBe(false);

    // The clusters of the first test went silent: each goes offline exactly once.
    await eventually(async () => expect((await leader.fleet.list({ limit: 100, state: ClusterState.Offline })).total).toBe(5));
    for (let index = 0; index < 5; index += 1) {
      const offlineEvents = (await leader.fleet.events(`r-${index}`, 200)).filter((event) => event.type === 'offline');
      expect(offlineEvents).toHaveLength(1);
    }

    await leader.close();
    await eventually(() => expect(follower.sweeper.isLeader).toBe(true));
  });

  it('lets another holder take a lease only after the holder stopped renewing it', async () => {
    const { Lease } = await import('../src/sweeper/lease.js');
    const alive = hubs.find((hub) => hub.sweeper.isLeader)!;
    const first = new Lease(alive.scripts, 'test-lease', 'one', 300);
    const second = new Lease(alive.scripts, 'test-lease', 'two', 300);
    expect(await first.acquire()).toBe(true);
    expect(await second.acquire()).toBe(false);
    expect(await first.acquire()).toBe(true);
    // `first` dies without releasing: the lease expires after its TTL.
    await eventually(async () => expect(await second.acquire()).toBe(true), { intervalMs: 50 });
    expect(await first.acquire()).toBe(false);
    await second.release();
  });
});
