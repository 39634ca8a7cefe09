/**
 * Acceptance of rollouts (issue 7) with the real agent daemon on 12 clusters in 3 regions:
 * a commit moves canary → region 1 → region 2 → the rest, never updating more clusters at
 * once than a wave allows (sampled all along), and a commit the canary's API server refuses
 * is rolled back automatically before any other cluster gets it, and so is one that drifts
 * on the canary while it bakes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from '../../agent/test/harness.js';
import { REFUSED_MANIFEST, RolloutFleet, canaryWave, eventually, rolloutPolicy, withinMaxParallel } from './rollout-fleet.js';

/** canary → eu, 2 at a time → us, half at a time → the rest one by one; roll back on failure. */
const policy = (canaryBake = '1s') => rolloutPolicy([
  canaryWave({ bakeTime: canaryBake, deadline: '10m' }),
  { name: 'region-1', selector: { regions: ['eu'] }, maxParallel: 2, bakeTime: '1s', deadline: '10m' },
  { name: 'region-2', selector: { regions: ['us'] }, maxParallel: '50%', bakeTime: '1s', deadline: '10m' },
  { name: 'rest', selector: { all: true }, maxParallel: 1, deadline: '10m' },
], { onFailure: 'rollback' });

describe('when a commit is pushed to a fleet of 12 clusters in 3 regions', () => {
  const fleet = new RolloutFleet({ policy: policy() });
  let first: string;

  beforeAll(async () => {
    first = await fleet.start();
  });

  afterAll(() => fleet.close());

  it('rolls it out canary → region 1 → region 2 → the rest, never more clusters updating at once than the wave allows', async () => {
    const revision = await fleet.commit({});
    const sampler = fleet.sample(revision, withinMaxParallel);
    const rollout = await fleet.waitForPhase(revision, 'done');
    expect(await sampler.stop()).toBeGreaterThan(20);

    expect(rollout.plan.waves.map((wave) => [wave.name, wave.clusters.sort(), wave.maxParallel])).toEqual([
      ['canary', ['eu-1'], 1],
      ['region-1', ['eu-2', 'eu-3', 'eu-4'], 2],
      ['region-2', ['us-1', 'us-2', 'us-3', 'us-4'], 2],
      ['rest', ['ap-1', 'ap-2', 'ap-3', 'ap-4'], 1],
    ]);
    // Each wave started after the one before it was done, and assigned only its own clusters meanwhile.
    rollout.waves.forEach((wave, index) => {
      const previous = rollout.waves[index - 1];
      if (previous) expect(wave.startedAt!).toBeGreaterThanOrEqual(previous.completedAt!);
      for (const cluster of rollout.plan.waves[index]!.clusters) {
        expect(rollout.clusters[cluster]!.assignedAt!).toBeGreaterThanOrEqual(wave.startedAt!);
        expect(rollout.clusters[cluster]!.assignedAt!).toBeLessThanOrEqual(wave.completedAt!);
      }
    });
    await eventually(() => {
      for (const agent of fleet.agents) expect(agent.applied.slice(-2), agent.name).toEqual([first, revision]);
    });
  });

  it('rolls back a commit the canary cannot apply, and no cluster outside the canary wave ever receives it', async () => {
    const good = await fleet.tree.resolve('HEAD');
    const bad = await fleet.commit(REFUSED_MANIFEST);
    const rollout = await fleet.waitForPhase(bad, 'rolledBack');
    expect(rollout.clusters['eu-1']).toMatchObject({ status: 'rolledBack' });
    const status = await fleet.status(bad);
    expect(status.reason).toMatch(/eu-1/);

    // The canary got the bad revision, failed to apply it, and was given the good one back.
    expect(fleet.agent('eu-1').failed).toContain(bad);
    await eventually(() => expect(fleet.agent('eu-1').daemon.lastResult).toMatchObject({ revision: good, appliedRevision: good }));
    const assignments = await fleet.store.assignments();
    for (const agent of fleet.agents) {
      expect(agent.applied, agent.name).not.toContain(bad);
      expect(assignments.get(agent.name)?.revision, agent.name).toBe(good);
      if (agent.name !== 'eu-1') expect(agent.revision, agent.name).toBe(good);
    }
  });

  it('rolls back a commit that drifts on the canary while it bakes, before any other cluster gets it', async () => {
    // The last fully rolled-out revision: the rollback's target.
    const good = (await fleet.store.lastGoodRevision())!;
    const longCanaryBake = policy('10m');
    // Drift is only reported (not corrected), so the cluster keeps it until the rollback.
    const alertOnly = { 'platform/manifest-sets.yaml': 'apiVersion: netfleet.io/v1alpha1\nkind: ManifestSet\nmetadata:\n  name: base\ntargets:\n  all: true\npolicy:\n  drift: alert\nspec:\n  path: manifests/base\n' };
    const drifting = await fleet.commit({ 'rollout/default.yaml': longCanaryBake, ...alertOnly });
    await fleet.waitForPhase(drifting, 'baking');
    const canary = fleet.agent('eu-1');
    const release = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'release' };
    expect(await clientFor(canary.kube, 'kubectl').delete(release)).toBe(true);

    const rollout = await fleet.waitForPhase(drifting, 'rolledBack');
    expect(rollout.clusters['eu-1']).toMatchObject({ status: 'rolledBack' });
    expect(rollout.reason).toMatch(/drift/i);
    // The rollback sync of the good revision puts the deleted object back.
    await eventually(async () => {
      expect(canary.daemon.lastResult).toMatchObject({ revision: good, appliedRevision: good });
      expect(await clientFor(canary.kube).get(release)).toBeDefined();
    });
    for (const agent of fleet.agents.filter((agent) => agent.name !== 'eu-1')) expect(agent.applied, agent.name).not.toContain(drifting);
  });
});
