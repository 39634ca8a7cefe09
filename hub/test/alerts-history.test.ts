import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRule, type Hub } from '../src/index.js';
import { condition } from '../src/alerts/rules.js';
import { testHub, testKeySpace } from './helpers.js';

const CAP = 5;

/** A started hub on a key space of its own for the enclosing describe block; stopped and cleaned after it. */
function hubFor(label: string, options: Parameters<typeof testHub>[1]): { readonly hub: Hub } {
  const space = testKeySpace(label);
  const holder = {} as { hub: Hub };
  beforeAll(async () => {
    holder.hub = testHub(space, { sweeper: false, rollouts: false, ...options });
    await holder.hub.start();
  });
  afterAll(async () => {
    await holder.hub.close();
    await space.cleanup();
  });
  return holder;
}

const offline = (cluster: string) => condition(AlertRule.ClusterOffline, { cluster, region: 'eu', revision: '' }, `cluster ${cluster} missed 2 heartbeats`);

describe('the alert history cap (alertHistoryCap) with more firing alerts than it', () => {
  const fixture = hubFor('alert-cap', { alertHistoryCap: CAP });
  let hub: Hub;
  beforeAll(() => {
    hub = fixture.hub;
  });

  const history = async () => (await hub.redis.zrange(hub.keys.alerts(), 0, -1)).sort();
  const firing = async () => (await hub.redis.smembers(hub.keys.firingAlerts())).sort();

  it('keeps every firing alert and deletes the resolved ones, oldest first, with their hashes', async () => {
    let now = 1_000;
    for (const cluster of ['old-1', 'old-2', 'old-3']) await hub.alerts.fire(offline(cluster), (now += 1));
    for (const cluster of ['old-1', 'old-2', 'old-3']) await hub.alerts.resolve(offline(cluster).fingerprint, (now += 1));
    // Two firing alerts fit beside the three resolved ones; each firing one after takes a resolved one's place, oldest first.
    for (let index = 0; index < 2; index += 1) await hub.alerts.fire(offline(`f-${index}`), (now += 1));
    expect(await history()).toHaveLength(CAP);
    await hub.alerts.fire(offline('f-2'), (now += 1));
    expect(await hub.redis.exists(hub.keys.alert(offline('old-1').fingerprint))).toBe(0);
    expect(await hub.alerts.get(offline('old-2').fingerprint)).toMatchObject({ status: 'resolved' });
    for (let index = 3; index < 3 * CAP; index += 1) await hub.alerts.fire(offline(`f-${index}`), (now += 1));

    const fired = Array.from({ length: 3 * CAP }, (_unused, index) => offline(`f-${index}`).fingerprint).sort();
    expect(await firing()).toEqual(fired);
    expect(await history()).toEqual(fired);
    expect(await hub.redis.zcard(hub.keys.resolvedAlerts())).toBe(0);
    for (const cluster of ['old-1', 'old-2', 'old-3']) expect(await hub.alerts.get(offline(cluster).fingerprint)).toBeUndefined();
  });

  it('keeps resolved alerts only up to the cap while more than it fire', async () => {
    let now = 10_000;
    await hub.alerts.resolve(offline('f-0').fingerprint, (now += 1));
    await hub.alerts.resolve(offline('f-1').fingerprint, (now += 1));
    expect((await hub.alerts.list({ status: 'resolved' })).map((alert) => alert.labels.cluster)).toEqual(['f-1', 'f-0']);
    // The next new alert brings the history back to the firing ones only: 13 + 1 firing are above the cap.
    await hub.alerts.fire(offline('f-new'), (now += 1));
    expect(await hub.alerts.list({ status: 'resolved' })).toEqual([]);
    expect(await history()).toEqual(await firing());
    expect(await firing()).toHaveLength(3 * CAP - 2 + 1);
  });

  it('fires a resolved alert again without the cap deleting it', async () => {
    let now = 20_000;
    for (const cluster of (await firing()).map((fingerprint) => fingerprint.split(':')[1]!)) await hub.alerts.resolve(offline(cluster).fingerprint, (now += 1));
    const oldest = (await hub.redis.zrange(hub.keys.resolvedAlerts(), 0, 0))[0]!;
    await hub.alerts.fire({ ...offline(oldest.split(':')[1]!), fingerprint: oldest }, (now += 1));
    expect(await hub.alerts.get(oldest)).toMatchObject({ status: 'firing' });
    expect(await history()).toHaveLength(CAP);
    expect(await hub.redis.zscore(hub.keys.resolvedAlerts(), oldest)).toBeNull();
  });
});

describe('alerts written by a hub that kept no resolved set', () => {
  const fixture = hubFor('alert-upgrade', { alertHistoryCap: CAP });
  let hub: Hub;
  beforeAll(() => {
    hub = fixture.hub;
  });

  it('builds the resolved set on the first update and trims the oldest resolved ones beyond the cap', async () => {
    // The previous layout: the history by last change and the firing set, nothing else.
    const write = hub.redis.multi();
    for (let index = 0; index < 8; index += 1) {
      const fingerprint = offline(`c-${index}`).fingerprint;
      const status = index % 2 === 0 ? 'firing' : 'resolved';
      write.hset(hub.keys.alert(fingerprint), { fingerprint, rule: AlertRule.ClusterOffline, severity: 'critical', summary: 's', labels: '{}', status, startsAt: index, endsAt: status === 'resolved' ? 100 + index : '', notifiedAt: index, lastFiredAt: index });
      write.zadd(hub.keys.alerts(), 100 + index, fingerprint);
      if (status === 'firing') write.sadd(hub.keys.firingAlerts(), fingerprint);
    }
    await write.exec();

    await hub.alerts.fire(offline('new'), 1_000);
    // 9 alerts, cap 5: the 4 resolved ones (c-1, c-3, c-5, c-7) go, the 5 firing ones stay.
    expect((await hub.redis.zrange(hub.keys.alerts(), 0, -1)).sort()).toEqual(['c-0', 'c-2', 'c-4', 'c-6', 'new'].map((cluster) => offline(cluster).fingerprint));
    expect(await hub.redis.exists(hub.keys.alert(offline('c-7').fingerprint))).toBe(0);
    expect(await hub.redis.zcard(hub.keys.resolvedAlerts())).toBe(0);
    await hub.alerts.resolve(offline('c-0').fingerprint, 1_001);
    expect(await hub.redis.zrange(hub.keys.resolvedAlerts(), 0, -1)).toEqual([offline('c-0').fingerprint]);
  });
});

describe('the repeat pass over more firing alerts than one page', () => {
  const REPEAT_MS = 60_000;
  const fixture = hubFor('alert-repeat', { alertRepeatIntervalMs: REPEAT_MS, rejectedAlertResolveMs: 1_000 });
  let hub: Hub;
  beforeAll(() => {
    hub = fixture.hub;
  });

  it('repeats every alert due and resolves the report-rejected ones no rejection renewed', async () => {
    const clusters = Array.from({ length: 1_200 }, (_unused, index) => `p-${index}`);
    await hub.alerts.apply(clusters.map((cluster) => ({ fire: offline(cluster) })), 1_000);
    const rejected = condition(AlertRule.ReportRejected, { cluster: 'p-0', region: 'eu', revision: '' }, 'bad signature', { reason: 'signature' }, 'signature');
    await hub.alerts.fire(rejected, 1_000);

    await hub.alerts.repeatPass(1_000 + REPEAT_MS);
    const read = hub.redis.pipeline();
    for (const cluster of clusters) read.hget(hub.keys.alert(offline(cluster).fingerprint), 'notifiedAt');
    const notifiedAt = (await read.exec())!.map(([, value]) => Number(value));
    expect(new Set(notifiedAt)).toEqual(new Set([1_000 + REPEAT_MS]));
    expect(await hub.alerts.get(rejected.fingerprint)).toMatchObject({ status: 'resolved' });
    expect(await hub.redis.scard(hub.keys.firingAlerts())).toBe(clusters.length);
  });
});
