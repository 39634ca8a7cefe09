import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type DriftItem, type KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, configMap, eventually, namespace, rendered, startCluster } from '../../test/harness.js';
import { kubectlPatch } from '../../test/kubectl.js';
import { AgentEvents } from '../events.js';
import type { KubeClient } from '../kube/client.js';
import { AppliedMemo } from '../ssa/memo.js';
import { DriftDetector, defaultDriftOptions } from './detector.js';
import { FightTracker, defaultFightOptions, managersOf } from './fight.js';

const replicas = [{ path: '/data/replicas' }];

describe('FightTracker', () => {
  const tracker = () => new FightTracker(defaultFightOptions({ windowMs: 1_000, baseDelayMs: 100, maxDelayMs: 350 }));

  it('corrects at once the first time, and when the same field drifts again only after the window', () => {
    const fights = tracker();
    expect(fights.decide('a', replicas, 0)).toEqual({ streak: 0, waitMs: 0 });
    fights.corrected('a', replicas, 0, 0);
    expect(fights.decide('a', replicas, 5_000)).toEqual({ streak: 0, waitMs: 0 });
  });

  it('does not count another field drifting as a fight', () => {
    const fights = tracker();
    fights.corrected('a', replicas, 0, 0);
    expect(fights.decide('a', [{ path: '/data/other' }], 10)).toEqual({ streak: 0, waitMs: 0 });
  });

  it('backs off exponentially, up to the maximum, while the same field keeps drifting within the window', () => {
    const fights = tracker();
    fights.corrected('a', replicas, 0, 0);
    expect(fights.decide('a', replicas, 10)).toEqual({ streak: 1, waitMs: 0 });
    fights.corrected('a', replicas, 1, 10);
    expect(fights.decide('a', replicas, 20)).toEqual({ streak: 2, waitMs: 90 });
    fights.corrected('a', replicas, 2, 110);
    expect(fights.decide('a', replicas, 120)).toEqual({ streak: 3, waitMs: 190 });
    fights.corrected('a', replicas, 3, 310);
    fights.corrected('a', replicas, 4, 720);
    expect(fights.decide('a', replicas, 720)).toEqual({ streak: 5, waitMs: 350 });
  });
});

describe('managersOf', () => {
  const live = (entries: unknown[]): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', managedFields: entries as never } });

  it('names the managers owning the drifted fields, not netfleet or status writers', () => {
    const object = live([
      { manager: 'netfleet', operation: 'Apply', fieldsV1: { 'f:data': { 'f:mode': {} } } },
      { manager: 'autoscaler', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:data': { 'f:replicas': {} } } },
      { manager: 'status-writer', operation: 'Update', subresource: 'status', fieldsV1: { 'f:data': { 'f:replicas': {} } } },
    ]);
    expect(managersOf(object, replicas, 'netfleet')).toEqual(['autoscaler']);
  });

  it('falls back to the manager that wrote last', () => {
    const object = live([
      { manager: 'old', operation: 'Update', time: '2026-01-01T00:00:00Z', fieldsV1: { 'f:metadata': {} } },
      { manager: 'recent', operation: 'Update', time: '2026-02-01T00:00:00Z', fieldsV1: { 'f:metadata': {} } },
    ]);
    expect(managersOf(object, replicas, 'netfleet')).toEqual(['recent']);
  });
});

describe('when another controller keeps reverting a field netfleet corrects', () => {
  let kube: KubeApiServer;
  let client: KubeClient;
  let detector: DriftDetector;
  const fights: DriftItem[] = [];
  const desired = rendered(configMap('fight', 'tuning', { replicas: '2' }));
  const replicasOf = async () => ((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'fight', name: 'tuning' }))!.data as Record<string, string>).replicas;
  const revert = (value: string) => kubectlPatch(kube, desired.object, 'configmaps', { data: { replicas: value } }, 'autoscaler');

  beforeAll(async () => {
    kube = await startCluster({ crds: () => false });
    client = clientFor(kube);
    const events = new AgentEvents();
    events.on('drift-fight', (item) => fights.push(item));
    detector = new DriftDetector(client, new AppliedMemo(), events, createLogger({ name: 'fight-test', level: 'silent' }), defaultDriftOptions({
      resyncIntervalMs: 3_600_000, fight: { windowMs: 600_000, baseDelayMs: 300_000, maxDelayMs: 600_000 },
    }));
    detector.start();
    await detector.exclusive(async () => {
      await client.apply(namespace('fight'), { force: false });
      await client.apply(desired.object, { force: false });
    }, () => [desired]);
    await eventually(() => expect(detector.synced).toBe(true));
  });
  afterAll(async () => {
    detector?.stop();
    await kube?.stop();
  });

  it('corrects, then reports "fighting with manager X", then holds the next correction back instead of looping', async () => {
    await revert('5');
    await eventually(async () => expect(await replicasOf()).toBe('2'));
    await revert('6');
    await eventually(() => expect(fights).toHaveLength(1));
    expect(fights[0]).toMatchObject({ fightingWith: ['autoscaler'], message: expect.stringContaining('fighting with manager "autoscaler" over /data/replicas') });
    await eventually(async () => expect(await replicasOf()).toBe('2'));

    await revert('7');
    const held = await eventually(() => {
      const item = detector.items.find((candidate) => candidate.id === desired.id);
      expect(item?.message).toMatch(/next correction in \d+ s/);
      return item!;
    });
    expect(held.fightingWith).toEqual(['autoscaler']);
    // Held back: the other controller's value stays until the pause is over, even through a full resync.
    await detector.resync();
    await detector.idle();
    expect(await replicasOf()).toBe('7');
    expect(detector.items.find((candidate) => candidate.id === desired.id)?.message).toMatch(/next correction in \d+ s/);
  }, 120_000);
});
