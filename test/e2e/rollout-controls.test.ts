/**
 * Acceptance of the rollout controls (issue 7) with the real agent daemon on 12 clusters:
 * pause, resume, promote and abort through the hub API, and a newer commit superseding the
 * rollout in progress, each as docs/rollouts.md describes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RolloutFleet, canaryWave, eventually, rolloutPolicy, withinMaxParallel } from './rollout-fleet.js';

/** Long bakes: only a promote moves a rollout past a baked wave within the test. */
const POLICY = rolloutPolicy([
  canaryWave({ bakeTime: '10m', deadline: '10m' }),
  { name: 'region-1', selector: { regions: ['eu'] }, maxParallel: 2, bakeTime: '10m', deadline: '10m' },
  { name: 'rest', selector: { all: true }, maxParallel: 4, deadline: '10m' },
]);

describe('when a person controls a rollout across 12 clusters', () => {
  const fleet = new RolloutFleet({ policy: POLICY });
  let first: string;

  beforeAll(async () => {
    first = await fleet.start();
  });

  afterAll(() => fleet.close());

  it('pauses and resumes a baking wave, and promotes past the bake time', async () => {
    const revision = await fleet.commit({});
    const sampler = fleet.sample(revision, withinMaxParallel);
    await fleet.waitForPhase(revision, 'baking');

    expect(await fleet.control(revision, 'pause', 'looking at the canary')).toBe(200);
    const paused = await fleet.status(revision);
    expect(paused).toMatchObject({ phase: 'paused', reason: 'looking at the canary' });
    // Paused: promote is refused, nothing moves.
    expect(await fleet.control(revision, 'promote')).toBe(409);
    expect((await fleet.rollout(revision))!.phase).toBe('paused');

    expect(await fleet.control(revision, 'resume')).toBe(200);
    const resumed = await fleet.waitForPhase(revision, 'baking');
    expect(resumed.wave).toBe(0);
    // Resumed: the wave bakes again in full, from the resume on.
    expect(resumed.waves[0]!.bakeStartedAt!).toBeGreaterThanOrEqual(paused.updatedAt ? Date.parse(paused.updatedAt) : 0);

    expect(await fleet.control(revision, 'promote')).toBe(200);
    await eventually(async () => expect((await fleet.rollout(revision))).toMatchObject({ phase: 'baking', wave: 1 }));
    expect(await fleet.control(revision, 'promote')).toBe(200);
    const done = await fleet.waitForPhase(revision, 'done');
    await sampler.stop();
    expect(done.waves.every((wave) => wave.completedAt !== null)).toBe(true);
    await eventually(() => {
      for (const agent of fleet.agents) expect(agent.revision, agent.name).toBe(revision);
    });
    expect(fleet.agent('ap-4').applied.slice(-2)).toEqual([first, revision]);
  });

  it('aborts: clusters keep what they have and nothing more is assigned', async () => {
    const before = await fleet.tree.resolve('HEAD');
    const revision = await fleet.commit({});
    await fleet.waitForPhase(revision, 'baking');
    expect(await fleet.control(revision, 'abort', 'wrong release')).toBe(200);
    const aborted = await fleet.waitForPhase(revision, 'aborted');
    expect(aborted.reason).toBe('wrong release');
    expect(await fleet.control(revision, 'resume')).toBe(409);
    const assignments = await fleet.store.assignments();
    expect(assignments.get('eu-1')?.revision).toBe(revision);
    for (const agent of fleet.agents.filter((agent) => agent.name !== 'eu-1')) {
      expect(assignments.get(agent.name)?.revision, agent.name).toBe(before);
      expect(agent.applied, agent.name).not.toContain(revision);
    }
    await eventually(() => expect(fleet.agent('eu-1').revision).toBe(revision));
  });

  it('supersedes the rollout in progress with a newer commit, which starts from the first wave', async () => {
    const older = await fleet.commit({});
    await fleet.waitForPhase(older, 'baking');
    const newer = await fleet.commit({});
    const superseded = await fleet.waitForPhase(older, 'superseded');
    expect(superseded.reason).toMatch(new RegExp(newer.slice(0, 12)));
    const rollout = await fleet.waitForPhase(newer, 'baking');
    expect(rollout.wave).toBe(0);
    expect(rollout.carriedOver).toContain('eu-1');
    await eventually(() => expect(fleet.agent('eu-1').revision).toBe(newer));
    for (const agent of fleet.agents.filter((agent) => agent.name !== 'eu-1')) {
      expect(agent.applied, agent.name).not.toContain(older);
      expect(agent.applied, agent.name).not.toContain(newer);
    }
  });
});
