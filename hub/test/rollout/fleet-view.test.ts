import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { AlertRule, condition, type AlertCondition } from '../../src/alerts/rules.js';
import { RedisFleetView } from '../../src/rollout/fleet-view.js';
import { registerCluster, testHub, testKeySpace } from '../helpers.js';

const target = (cluster: string) => ({ cluster, region: 'eu', revision: 'rev' });

/** A link partition of one cluster, labelled as the link service fires it. */
function partition(cluster: string): AlertCondition {
  return { ...condition(AlertRule.LinkPartition, target(cluster), 'cut off'), fingerprint: `${AlertRule.LinkPartition}:partition:cluster:${cluster}:inbound` };
}

describe('the rollout controller\'s read of the fleet', () => {
  const space = testKeySpace('fleet-view');
  let hub: Hub;
  let view: RedisFleetView;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false });
    await hub.start();
    for (const name of ['eu-1', 'eu-2', 'eu-3']) await registerCluster(hub, name);
    view = new RedisFleetView(hub.fleet, hub.alerts, hub.linkHealth.links);
  });

  afterAll(async () => {
    await hub?.close();
    await space.cleanup();
  });

  it('counts a cluster\'s firing critical alerts, offline, warnings and resolved ones aside', async () => {
    await hub.alerts.fire(condition(AlertRule.SyncFailed, target('eu-1'), 'sync failed'));
    await hub.alerts.fire(partition('eu-1'));
    await hub.alerts.fire(condition(AlertRule.ClusterOffline, target('eu-2'), 'offline'));
    await hub.alerts.fire(condition(AlertRule.DriftDetected, target('eu-2'), 'drifted'));
    await hub.alerts.fire(condition(AlertRule.SyncFailed, target('eu-3'), 'sync failed'));
    await hub.alerts.resolve(condition(AlertRule.SyncFailed, target('eu-3'), '').fingerprint);

    const observed = await view.observe(['eu-1', 'eu-2', 'eu-3']);
    expect(Object.fromEntries([...observed].map(([name, observation]) => [name, observation.criticalAlerts]))).toEqual({ 'eu-1': 2, 'eu-2': 0, 'eu-3': 0 });
  });

  it('reads the firing alerts of the rules asked for only, however many others fire', async () => {
    const others = Array.from({ length: 200 }, (_, index) => `other-${index}`);
    await hub.alerts.apply(others.flatMap((cluster) => [
      { fire: condition(AlertRule.ClusterOffline, target(cluster), 'offline') },
      { fire: condition(AlertRule.DriftDetected, target(cluster), 'drifted') },
    ]));
    const firing = await hub.alerts.firing([AlertRule.SyncFailed, AlertRule.LinkPartition]);
    expect(firing.map((alert) => alert.fingerprint).sort()).toEqual([partition('eu-1').fingerprint, `${AlertRule.SyncFailed}:eu-1`]);
  });

  it('skips an alert an earlier hub resolved without leaving its rule\'s set, and indexes one it fired on the next repeat', async () => {
    const fingerprint = `${AlertRule.SyncFailed}:eu-1`;
    // An earlier hub's resolve: status and the firing set only.
    await hub.redis.multi().hset(hub.keys.alert(fingerprint), 'status', 'resolved').srem(hub.keys.firingAlerts(), fingerprint).exec();
    expect((await hub.alerts.firing([AlertRule.SyncFailed])).map((alert) => alert.fingerprint)).toEqual([]);

    // An earlier hub's fire: the alert is firing but in no rule set, until the repeat pass reaches it.
    await hub.redis.multi().hset(hub.keys.alert(fingerprint), 'status', 'firing').sadd(hub.keys.firingAlerts(), fingerprint)
      .srem(hub.keys.firingAlertsOf(AlertRule.SyncFailed), fingerprint).exec();
    expect(await hub.alerts.firing([AlertRule.SyncFailed])).toEqual([]);
    await hub.alerts.repeatPass();
    expect((await hub.alerts.firing([AlertRule.SyncFailed])).map((alert) => alert.fingerprint)).toEqual([fingerprint]);
  });
});
