import { Registry } from 'prom-client';
import type { RolloutPolicy } from '@netfleet/shared';
import { SyncReason, SyncStatus } from '@netfleet/shared';
import { LinkKind, LinkState } from '@netfleet/shared/protocol/links';
import type { LinkFailure } from '../../src/links/link-failures.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { applyControl, clusterEvents, type RolloutController } from '../../src/rollout/controller.js';
import { rolloutIdOf } from '../../src/rollout/ids.js';
import { RedisFleetView, type ClusterObservation } from '../../src/rollout/fleet-view.js';
import type { FleetHeads } from '../../src/rollout/heads.js';
import { createRollout, reduceAll, type ClusterProgress } from '../../src/rollout/machine.js';
import { planRollout } from '../../src/rollout/plan.js';
import { storeWhole } from './fixtures.js';
import { RolloutAlerts } from '../../src/rollout/alerts.js';
import { RolloutMetrics } from '../../src/rollout/metrics.js';
import type { RolloutStore } from '../../src/rollout/store.js';
import { eventually, heartbeatBody, syncBody } from '../helpers.js';
import { rolloutHub, type RolloutHub } from './rollout-hub.js';

const REV_A = 'a'.repeat(40);
const REV_B = 'b'.repeat(40);

const policy: RolloutPolicy = {
  name: 'regions',
  waves: [
    { name: 'canary', selector: { names: ['c1'] }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: 600 },
    { name: 'eu', selector: { regions: ['eu'] }, maxParallel: { kind: 'count', count: 1 }, bakeTimeSeconds: 0, deadlineSeconds: 600 },
    { name: 'us', selector: { regions: ['us'] }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: 600 },
  ],
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'rollback',
  unselectedClusters: 'lastWave',
  blackouts: undefined,
  source: { file: 'rollout/regions.yaml', document: 'RolloutPolicy/regions' },
};

describe('rollout controller on a hub', () => {
  let fixture: RolloutHub;
  let hub: Hub;
  let store: RolloutStore;
  let heads: FleetHeads;

  const registry = new Registry();
  let metrics: RolloutMetrics;

  /** The controllers made so far, in order (the fixture closes them). */
  const controllers: RolloutController[] = [];
  function controller(replicaId: string, leaseTtlMs = 15_000): RolloutController {
    const created = fixture.controller({ replicaId, leaseTtlMs }, metrics, new RolloutAlerts(hub.alerts, store));
    controllers.push(created);
    return created;
  }

  /** The agent of `cluster` reports a sync of `revision` and a heartbeat with everything ready. */
  const agentApplies = (cluster: string, revision: string, reason = SyncReason.Succeeded) =>
    fixture.agentsReport([cluster], (_name, before) => ({
      sync: syncBody(revision, reason),
      // A failed sync leaves the agent on the revision it ran before.
      heartbeat: heartbeatBody(reason === SyncReason.Succeeded ? revision : (before?.revision ?? '')),
    }));

  const assigned = async (cluster: string) => (await store.assignment(cluster))?.revision ?? null;

  beforeAll(async () => {
    fixture = await rolloutHub('rollout-ctl', [{ name: 'c1', region: 'eu' }, { name: 'e1', region: 'eu' }, { name: 'e2', region: 'eu' }, { name: 'u1', region: 'us' }]);
    ({ hub, store, heads } = fixture);
    metrics = new RolloutMetrics(registry, store);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('rolls a revision out wave by wave, never past maxParallel, then rolls a bad one back from the canary', async () => {
    const leader = controller('replica-a');
    await heads.publish({ revision: REV_A, policy, seenAt: Date.now() });
    const first = await leader.tick();
    expect(first.rollout?.id).toBe(rolloutIdOf(REV_A));
    expect(await assigned('c1')).toBe(REV_A);
    expect(await assigned('e1')).toBeNull();

    await agentApplies('c1', REV_A);
    await leader.tick();
    // The eu wave takes one cluster at a time.
    expect([await assigned('e1'), await assigned('e2')]).toEqual([REV_A, null]);
    await agentApplies('e1', REV_A);
    await leader.tick();
    expect(await assigned('e2')).toBe(REV_A);
    await agentApplies('e2', REV_A);
    await leader.tick();
    await agentApplies('u1', REV_A);
    expect((await leader.tick()).rollout?.phase).toBe('done');
    expect(await store.active()).toBeNull();
    expect(await store.lastGoodRevision()).toBe(REV_A);
    const metricsText = await registry.metrics();
    for (const wave of ['canary', 'eu', 'us']) expect(metricsText).toContain(`netfleet_hub_rollout_wave_duration_seconds_count{wave="${wave}"} 1`);
    expect(metricsText).toContain('netfleet_hub_rollouts{phase="done"} 1');

    await heads.publish({ revision: REV_B, policy, seenAt: Date.now() });
    await leader.tick();
    expect(await assigned('c1')).toBe(REV_B);
    await agentApplies('c1', REV_B, SyncReason.ValidationFailed);
    await leader.tick();
    const rolledBack = await store.get(rolloutIdOf(REV_B));
    expect(rolledBack?.phase).toBe('rolledBack');
    expect(rolledBack?.reason).toBe('cluster c1 failed to apply: ValidationFailed: apply refused');
    expect(await store.assignment('c1')).toMatchObject({ revision: REV_A, reason: 'rollback: cluster c1 failed to apply: ValidationFailed: apply refused' });
    const alerts = await hub.alerts.list({ status: 'firing' });
    expect(alerts.filter((alert) => alert.rule === 'NetfleetRolloutRolledBack').map((alert) => alert.labels.rollout)).toEqual([rolloutIdOf(REV_B)]);
    // No cluster outside the canary wave ever received the bad revision.
    expect([await assigned('e1'), await assigned('e2'), await assigned('u1')]).toEqual([REV_A, REV_A, REV_A]);
  });

  it('lets one replica lead, and another take over after the lease lapses without advancing a wave twice', async () => {
    const REV_C = 'c'.repeat(40);
    // A lease far longer than the test, so a busy machine cannot let it lapse between two
    // ticks; its lapse below is the key's TTL running out, as time would make it.
    const first = controller('replica-1', 600_000);
    const second = controller('replica-2', 600_000);
    await heads.publish({ revision: REV_C, policy: { ...policy, onFailure: 'pause' }, seenAt: Date.now() });
    // The lease of the first test's controller is still held: let it lapse by releasing it.
    await controllers[0]!.close();
    expect((await first.tick()).leader).toBe(true);
    expect((await second.tick()).leader).toBe(false);
    expect(await assigned('c1')).toBe(REV_C);

    await agentApplies('c1', REV_C);
    // The first replica dies without releasing its lease; the second takes over once it lapses.
    expect((await second.tick()).leader).toBe(false);
    await hub.redis.pexpire(hub.keys.lease('rollout'), 1);
    await eventually(async () => expect((await second.tick()).leader).toBe(true), { intervalMs: 50 });
    expect(await assigned('e1')).toBe(REV_C);
    expect((await first.tick()).leader).toBe(false);
    const notices = await store.notices(rolloutIdOf(REV_C), 100);
    expect(notices.filter((notice) => notice.kind === 'waveAdvanced').map((notice) => notice.wave)).toEqual([0]);
    expect(notices.filter((notice) => notice.kind === 'waveStarted').map((notice) => notice.wave)).toEqual([1, 0]);
  });

  it('resolves the rollback alert once a later rollout is done', async () => {
    const REV_C = 'c'.repeat(40);
    const leader = controllers.find((created) => created.isLeader)!;
    // eu takes one cluster at a time: each one applied makes room for the next.
    for (const cluster of ['e1', 'e2', 'u1']) {
      expect(await assigned(cluster)).toBe(REV_C);
      await agentApplies(cluster, REV_C);
      await leader.tick();
    }
    expect((await store.get(rolloutIdOf(REV_C)))?.phase).toBe('done');
    const rollbackAlerts = (await hub.alerts.list()).filter((alert) => alert.rule === 'NetfleetRolloutRolledBack');
    expect(rollbackAlerts.map((alert) => [alert.labels.rollout, alert.status])).toEqual([[rolloutIdOf(REV_B), 'resolved']]);
  });

  it('continues a rollout an earlier hub stored whole, after an upgrade', async () => {
    const REV_D = 'd'.repeat(40);
    const leader = controllers.find((created) => created.isLeader)!;
    // The earlier hub started the rollout and gave the canary its revision, then was upgraded.
    const created = createRollout({
      id: rolloutIdOf(REV_D), revision: REV_D, previousRevision: await store.lastGoodRevision(), failurePolicy: 'pause',
      policy: { name: policy.name, blackouts: undefined }, plan: planRollout(policy, await new RedisFleetView(hub.fleet, hub.alerts, hub.linkHealth.links).clusters()), at: Date.now(),
    });
    const started = reduceAll(created, [{ type: 'tick', at: Date.now() }]);
    await storeWhole(hub.redis, hub.keys, started.rollout);
    const [canary] = started.assignments;
    await hub.redis.hset(hub.keys.assignments(), canary!.cluster, JSON.stringify({ ...canary, assignedAt: started.rollout.updatedAt }));
    await heads.publish({ revision: REV_D, policy, seenAt: Date.now() });

    await agentApplies('c1', REV_D);
    await leader.tick();
    expect(await hub.redis.hlen(hub.keys.rolloutClusters(rolloutIdOf(REV_D)))).toBe(4);
    expect(await assigned('e1')).toBe(REV_D);
    // A person pauses it through the API (any replica): the leader works on what is stored, not on its own copy.
    await applyControl(store, rolloutIdOf(REV_D), { type: 'pause', reason: 'look first', at: Date.now() });
    await agentApplies('e1', REV_D);
    expect((await leader.tick()).rollout?.phase).toBe('paused');
    expect(await assigned('e2')).not.toBe(REV_D);
    await applyControl(store, rolloutIdOf(REV_D), { type: 'resume', at: Date.now() });
    await leader.tick();
    for (const cluster of ['e2', 'u1']) {
      expect(await assigned(cluster)).toBe(REV_D);
      await agentApplies(cluster, REV_D);
      await leader.tick();
    }
    const done = (await store.get(rolloutIdOf(REV_D)))!;
    expect(done.phase).toBe('done');
    expect(Object.values(done.clusters).map((cluster) => [cluster.status, cluster.attempt])).toEqual([['ready', 1], ['ready', 1], ['ready', 1], ['ready', 1]]);
    const notices = await store.notices(rolloutIdOf(REV_D), 100);
    expect(notices.filter((notice) => notice.kind === 'waveStarted').map((notice) => notice.wave)).toEqual([2, 1]);
  });
});

describe('clusterEvents', () => {
  const REV = 'rev-new';
  const updating: ClusterProgress = {
    wave: 0, status: 'updating', attempt: 1, assignedAt: 1_000, applied: false, ready: false, online: true,
    gates: { noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true }, reason: null,
  };
  const observed = (fields: Partial<ClusterObservation>): ClusterObservation => ({
    name: 'a', online: true, appliedRevision: 'rev-old', sync: null, ready: true, driftCount: 0, linkFailures: [], criticalAlerts: 0, ...fields,
  });
  const failure = (from: string, to: string, state: LinkState, since: number): LinkFailure => ({ from, to, kind: LinkKind.Federation, name: to, state, since });
  /** Peers b and c; only c runs the new revision. */
  const hasApplied = (peer: string) => peer === 'c';

  it.each<[string, ClusterProgress, ClusterObservation | undefined, unknown[]]>([
    ['nothing while the agent still runs the old revision', updating, observed({}), []],
    ['applied and ready once the agent runs the revision', updating, observed({ appliedRevision: REV }), [
      { type: 'clusterApplied', cluster: 'a', revision: REV, at: 5 }, { type: 'clusterReady', cluster: 'a', revision: REV, ready: true, at: 5 },
    ]],
    ['a failure for a terminally failed sync of this attempt', updating, observed({ sync: { revision: REV, status: SyncStatus.FailedTerminal, reason: SyncReason.ValidationFailed, error: 'denied', at: 2_000 } }), [
      { type: 'clusterFailed', cluster: 'a', revision: REV, reason: 'ValidationFailed: denied', at: 5 },
    ]],
    ['no failure for a sync older than the attempt', updating, observed({ sync: { revision: REV, status: SyncStatus.FailedTerminal, reason: SyncReason.ValidationFailed, error: 'denied', at: 500 } }), []],
    ['no failure for a transient failure the agent retries', updating, observed({ sync: { revision: REV, status: SyncStatus.FailedTransient, reason: SyncReason.ApplyFailed, error: 'timeout', at: 2_000 } }), []],
    ['no failure for a sync progressing (a module to enable first)', updating, observed({ sync: { revision: REV, status: SyncStatus.Progressing, reason: SyncReason.WaitingForModule, error: 'waiting for module istio', at: 2_000 } }), []],
    ['offline when the cluster stops reporting', updating, observed({ online: false }), [{ type: 'clusterOnline', cluster: 'a', online: false, at: 5 }]],
    ['offline when the cluster left the registry', updating, undefined, [{ type: 'clusterOnline', cluster: 'a', online: false, at: 5 }]],
    ['drift against the new revision as a failing gate', { ...updating, applied: true, ready: true, status: 'ready' }, observed({ appliedRevision: REV, driftCount: 2 }), [
      { type: 'gate', cluster: 'a', gate: 'noNewDrift', passing: false, at: 5 },
    ]],
    ['a critical alert and links failing since the assignment as failing gates', updating, observed({
      criticalAlerts: 1, linkFailures: [failure('a', 'b', LinkState.Unreachable, 1_500), failure('c', 'a', LinkState.Stale, 1_000)],
    }), [
      { type: 'gate', cluster: 'a', gate: 'noNewLinkFailures', passing: false, detail: 'a→b unreachable, c→a stale', at: 5 },
      { type: 'gate', cluster: 'a', gate: 'noCriticalAlerts', passing: false, at: 5 },
    ]],
    ['no failing gate for links that failed before the assignment', updating, observed({ linkFailures: [failure('a', 'b', LinkState.Unreachable, 999), failure('b', 'a', LinkState.Stale, 0)] }), []],
    ['no failing gate for a one-sided link with a peer not on the revision yet', updating, observed({
      linkFailures: [failure('a', 'b', LinkState.OneSided, 2_000), failure('b', 'a', LinkState.OneSided, 2_000)],
    }), []],
    ['a failing gate for a one-sided link with a peer on the revision', updating, observed({ linkFailures: [failure('c', 'a', LinkState.OneSided, 2_000)] }), [
      { type: 'gate', cluster: 'a', gate: 'noNewLinkFailures', passing: false, detail: 'c→a one-sided', at: 5 },
    ]],
    ['the failing gate again when another link fails', { ...updating, gates: { ...updating.gates, noNewLinkFailures: false }, gateDetails: { noNewLinkFailures: 'a→b unreachable' } }, observed({
      linkFailures: [failure('a', 'b', LinkState.Unreachable, 1_500), failure('a', 'c', LinkState.Stale, 1_600)],
    }), [
      { type: 'gate', cluster: 'a', gate: 'noNewLinkFailures', passing: false, detail: 'a→b unreachable, a→c stale', at: 5 },
    ]],
    ['nothing while the failing gate names the same links', { ...updating, gates: { ...updating.gates, noNewLinkFailures: false }, gateDetails: { noNewLinkFailures: 'a→b unreachable' } }, observed({
      linkFailures: [failure('a', 'b', LinkState.Unreachable, 1_500)],
    }), []],
    ['a passing gate again once the new failures are gone', { ...updating, gates: { ...updating.gates, noNewLinkFailures: false } }, observed({}), [
      { type: 'gate', cluster: 'a', gate: 'noNewLinkFailures', passing: true, at: 5 },
    ]],
    ['nothing about a cluster not given the revision yet', { ...updating, status: 'pending' }, observed({ appliedRevision: REV, criticalAlerts: 1 }), []],
  ])('reports %s', (_name, progress, observation, want) => {
    expect(clusterEvents(REV, 'a', progress, observation, 5, hasApplied)).toEqual(want);
  });
});
