import type { RolloutPolicy } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutController } from '../../src/rollout/controller.js';
import type { FleetHeads } from '../../src/rollout/heads.js';
import { rolloutIdOf } from '../../src/rollout/ids.js';
import { updatingCount } from '../../src/rollout/machine.js';
import type { RolloutStore } from '../../src/rollout/store.js';
import { heartbeatBody, syncBody } from '../helpers.js';
import { rolloutHub, type RolloutHub } from './rollout-hub.js';

const REGIONS = ['eu', 'us', 'ap'] as const;
const CLUSTERS = REGIONS.flatMap((region) => [1, 2, 3, 4].map((n) => ({ name: `${region}-${n}`, region })));
const GATES = { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true };
const source = { file: 'rollout/default.yaml', document: 'RolloutPolicy/default' };

/** canary (eu-1) → the rest of eu, 2 at a time → us, half at a time → the rest, one at a time. */
const regional: RolloutPolicy = {
  name: 'regional',
  waves: [
    { name: 'canary', selector: { names: ['eu-1'] }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: 600 },
    { name: 'eu', selector: { regions: ['eu'] }, maxParallel: { kind: 'count', count: 2 }, bakeTimeSeconds: 0, deadlineSeconds: 600 },
    { name: 'us', selector: { regions: ['us'] }, maxParallel: { kind: 'percent', percent: 50 }, bakeTimeSeconds: 0, deadlineSeconds: 600 },
    { name: 'rest', selector: { all: true }, maxParallel: { kind: 'count', count: 1 }, bakeTimeSeconds: 0, deadlineSeconds: 600 },
  ],
  gates: GATES, onFailure: 'pause', unselectedClusters: 'lastWave', blackouts: undefined, source,
};

describe('a rollout across 12 clusters in 3 regions', () => {
  let fixture: RolloutHub;
  let store: RolloutStore;
  let heads: FleetHeads;
  let controller: RolloutController;

  /** The agents of `clusters` apply `revision` and report it, as a real agent would after a sync. */
  const agentsApply = (clusters: string[], revision: string) =>
    fixture.agentsReport(clusters, () => ({ sync: syncBody(revision), heartbeat: heartbeatBody(revision) }));

  beforeAll(async () => {
    fixture = await rolloutHub('rollout-fleet', CLUSTERS);
    ({ store, heads } = fixture);
    controller = fixture.controller({ replicaId: 'fleet-test' });
    await agentsApply(CLUSTERS.map((cluster) => cluster.name), '');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('goes canary → eu → us → ap, never updating more clusters at once than the wave allows', async () => {
    const revision = '1'.repeat(40);
    await heads.publish({ revision, policy: regional, seenAt: Date.now() });
    const applied = new Set<string>();
    const waveOrder: string[] = [];
    for (let round = 0; round < 40; round++) {
      const { rollout } = await controller.tick();
      if (!rollout) throw new Error('no rollout');
      // Checked after every step, from the rollout and from what the agents were told.
      const limit = rollout.plan.waves[Math.min(rollout.wave, rollout.plan.waves.length - 1)]!.maxParallel;
      expect(updatingCount(rollout)).toBeLessThanOrEqual(limit);
      const assigned = [...(await store.assignments()).values()].filter((assignment) => assignment.revision === revision).map((assignment) => assignment.cluster);
      expect(assigned.filter((name) => !applied.has(name)).length).toBeLessThanOrEqual(limit);
      for (const name of assigned) {
        const wave = rollout.clusters[name]!.wave;
        expect(wave).toBeLessThanOrEqual(rollout.wave);
        if (!waveOrder.includes(rollout.plan.waves[wave]!.name)) waveOrder.push(rollout.plan.waves[wave]!.name);
      }
      if (rollout.phase === 'done') break;
      // One agent at a time applies, so waves fill slot by slot.
      const next = assigned.find((name) => !applied.has(name));
      if (next) {
        await agentsApply([next], revision);
        applied.add(next);
      }
    }
    const done = (await store.get(rolloutIdOf(revision)))!;
    expect(done.phase).toBe('done');
    expect(waveOrder).toEqual(['canary', 'eu', 'us', 'rest']);
    expect(done.plan.waves.map((wave) => wave.clusters)).toEqual([
      ['eu-1'], ['eu-2', 'eu-3', 'eu-4'], ['us-1', 'us-2', 'us-3', 'us-4'], ['ap-1', 'ap-2', 'ap-3', 'ap-4'],
    ]);
    expect(applied.size).toBe(12);
  });

  it('waits for an agent that went offline until the wave deadline, then pauses', async () => {
    const revision = '2'.repeat(40);
    const started = Date.now();
    await heads.publish({ revision, policy: { ...regional, waves: [{ ...regional.waves[0]!, deadlineSeconds: 60 }, ...regional.waves.slice(1)] }, seenAt: started });
    await controller.tick(started);
    expect((await store.assignment('eu-1'))?.revision).toBe(revision);
    // Every cluster misses its heartbeats; all but the canary report again.
    await fixture.hub.sweeper.tick(started + 3_600_000);
    await agentsApply(CLUSTERS.map((cluster) => cluster.name).filter((name) => name !== 'eu-1'), '1'.repeat(40));
    const held = (await controller.tick(started + 30_000)).rollout!;
    expect(held.phase).toBe('progressing');
    expect(held.hold).toEqual({ reason: 'online', clusters: ['eu-1'], until: null });
    const paused = (await controller.tick(started + 61_000)).rollout!;
    expect(paused.phase).toBe('paused');
    expect(paused.reason).toBe('wave canary missed its deadline, held by online on eu-1');
    expect((await store.assignment('eu-2'))?.revision).toBe('1'.repeat(40));
  });

  it('holds in a blackout window and continues after it', async () => {
    const revision = '3'.repeat(40);
    const now = Date.now();
    const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
    const blackouts = { timeZone: 'UTC', weekly: [], dates: [{ from: day(0), to: day(0) }] };
    await heads.publish({ revision, policy: { ...regional, blackouts }, seenAt: now });
    const held = (await controller.tick(now)).rollout!;
    expect(held.id).toBe(rolloutIdOf(revision));
    expect(held.phase).toBe('pending');
    expect(held.hold).toEqual({ reason: 'blackout', clusters: [], until: Date.parse(`${day(1)}T00:00:00Z`) });
    expect(await store.assignment('eu-1')).toMatchObject({ revision: '2'.repeat(40) });
    const after = (await controller.tick(Date.parse(`${day(1)}T00:00:01Z`))).rollout!;
    expect(after.phase).toBe('progressing');
    expect((await store.assignment('eu-1'))?.revision).toBe(revision);
  });
});
