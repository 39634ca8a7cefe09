import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTerminal, reduce, reduceAll, updatingCount, type Rollout, type RolloutEvent } from '../../src/rollout/machine.js';
import type { RolloutPlan } from '../../src/rollout/plan.js';
import { REPORTED_GATES } from '../../src/rollout/gates.js';
import { MINUTE, T0, newRollout, plannedWave } from './fixtures.js';

const CLUSTERS = ['a1', 'a2', 'b1', 'b2', 'b3', 'b4', 'c1', 'c2', 'c3'];

/** Waves of random sizes and limits over the cluster names. */
const planArbitrary: fc.Arbitrary<RolloutPlan> = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), fc.constantFrom(0, 5 * MINUTE))
  .map(([first, second, limits, bake]) => {
    const cut = [CLUSTERS.slice(0, first), CLUSTERS.slice(first, first + second), CLUSTERS.slice(first + second)];
    return { waves: cut.map((clusters, index) => plannedWave(`w${index}`, clusters, limits[index]!, bake, 120 * MINUTE)), excluded: [] };
  });

const cluster = fc.constantFrom(...CLUSTERS, 'stranger');
const revision = fc.constantFrom('rev-new', 'rev-new', 'rev-new', 'rev-other');
/** Mostly good news, so that sequences get far into the rollout. */
const mostly = (value: boolean) => fc.oneof({ weight: 8, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.constant(!value) });

/** Any event the controller or a person can send, with the time advancing by 0–2 minutes; weights favour cluster reports over controls. */
const eventArbitrary = fc.tuple(
  fc.integer({ min: 0, max: 2 * MINUTE }),
  fc.oneof(
    { weight: 200, arbitrary: fc.constant({ type: 'tick' as const }) },
    { weight: 500, arbitrary: fc.record({ type: fc.constant('healthyReport' as const), pick: fc.nat() }) },
    { weight: 250, arbitrary: fc.record({ type: fc.constant('clusterApplied' as const), cluster, revision }) },
    { weight: 250, arbitrary: fc.record({ type: fc.constant('clusterReady' as const), cluster, revision, ready: mostly(true) }) },
    { weight: 20, arbitrary: fc.record({ type: fc.constant('clusterFailed' as const), cluster, revision, reason: fc.constant('boom') }) },
    { weight: 100, arbitrary: fc.record({ type: fc.constant('clusterOnline' as const), cluster, online: mostly(true) }) },
    { weight: 100, arbitrary: fc.record({ type: fc.constant('gate' as const), cluster, gate: fc.constantFrom(...REPORTED_GATES), passing: mostly(true) }) },
    { weight: 50, arbitrary: fc.record({ type: fc.constant('blackout' as const), active: mostly(false), endsAt: fc.constant(null) }) },
    { weight: 50, arbitrary: fc.record({ type: fc.constant('pause' as const), reason: fc.constant('manual') }) },
    { weight: 100, arbitrary: fc.constant({ type: 'resume' as const }) },
    { weight: 50, arbitrary: fc.constant({ type: 'promote' as const }) },
    { weight: 50, arbitrary: fc.record({ type: fc.constant('retry' as const), cluster }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('abort' as const), reason: fc.constant('manual') }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('rollback' as const), reason: fc.constant('manual') }) },
    { weight: 1, arbitrary: fc.constant({ type: 'superseded' as const, byRevision: 'rev-newer' }) },
  ),
);

/** Freezes the rollout through and through: the reducer must never write to its input. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** The clusters whose progress differs between two rollouts. */
function differingClusters(before: Rollout, after: Rollout): string[] {
  return Object.keys(after.clusters).filter((name) => JSON.stringify(before.clusters[name]) !== JSON.stringify(after.clusters[name])).sort();
}

type Step = typeof eventArbitrary extends fc.Arbitrary<[number, infer B]> ? B : never;

/**
 * The events of one step. `healthyReport` stands for a cluster the rollout is updating
 * applying the revision and turning ready (picked among those updating now), so that
 * sequences get through whole rollouts; every other step is the event itself.
 */
function eventsOf(step: Step, rollout: Rollout, at: number): RolloutEvent[] {
  if (step.type !== 'healthyReport') return [{ ...step, at } as RolloutEvent];
  const updating = Object.keys(rollout.clusters).filter((name) => rollout.clusters[name]!.status === 'updating');
  const cluster = updating[step.pick % Math.max(1, updating.length)];
  if (cluster === undefined) return [{ type: 'tick', at }];
  return [{ type: 'clusterApplied', cluster, revision: 'rev-new', at }, { type: 'clusterReady', cluster, revision: 'rev-new', ready: true, at }];
}

describe('rollout state machine, over random event sequences', () => {
  it('keeps its promises', () => {
    fc.assert(
      fc.property(
        planArbitrary, fc.constantFrom('pause' as const, 'rollback' as const), fc.constantFrom('rev-old', null),
        fc.array(eventArbitrary, { minLength: 20, maxLength: 150 }),
        (plan, failurePolicy, previousRevision, steps) => {
          let rollout = newRollout({ plan, failurePolicy, previousRevision });
          let at = T0;
          for (const event of steps.flatMap(([elapsed, step]) => ((at += elapsed), eventsOf(step, rollout, at)))) {
            const before = deepFreeze(rollout);
            const transition = reduce(before, event);
            rollout = transition.rollout;

            // What the store writes of the clusters is exactly what changed.
            expect([...transition.changedClusters].sort()).toEqual(differingClusters(before, rollout));

            if (isTerminal(before.phase)) {
              expect(transition.changed).toBe(false);
              expect(rollout).toBe(before);
            }
            expect(rollout.version).toBe(before.version + (transition.changed ? 1 : 0));

            // Never more clusters updating at once than the current wave allows.
            const current = plan.waves[Math.min(rollout.wave, plan.waves.length - 1)]!;
            expect(updatingCount(rollout)).toBeLessThanOrEqual(current.maxParallel);

            // The new revision only ever goes to clusters of the current or earlier waves.
            for (const assignment of transition.assignments) {
              if (assignment.revision === 'rev-new') expect(rollout.clusters[assignment.cluster]!.wave).toBeLessThanOrEqual(rollout.wave);
              else expect(assignment.revision).toBe(previousRevision);
            }
            for (const progress of Object.values(rollout.clusters)) {
              if (progress.attempt > 0) expect(progress.wave).toBeLessThanOrEqual(rollout.wave);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives the same rollout, assignments and notices for a batch as for its events one by one', () => {
    fc.assert(
      fc.property(planArbitrary, fc.constantFrom('pause' as const, 'rollback' as const), fc.array(eventArbitrary, { minLength: 20, maxLength: 150 }), fc.integer({ min: 1, max: 12 }),
        (plan, failurePolicy, steps, batchSize) => {
          let at = T0;
          let single = newRollout({ plan, failurePolicy });
          const events: RolloutEvent[] = [];
          for (const [elapsed, step] of steps) {
            at += elapsed;
            events.push(...eventsOf(step, single, at));
            for (const event of events.slice(-2)) single = reduce(single, event).rollout;
          }
          // Replay the same events one by one and in batches.
          let oneByOne = newRollout({ plan, failurePolicy });
          const singleEffects: { assignments: unknown[]; notices: unknown[] } = { assignments: [], notices: [] };
          for (const event of events) {
            const transition = reduce(oneByOne, event);
            oneByOne = transition.rollout;
            singleEffects.assignments.push(...transition.assignments);
            singleEffects.notices.push(...transition.notices);
          }
          let batched = newRollout({ plan, failurePolicy });
          const batchEffects: { assignments: unknown[]; notices: unknown[] } = { assignments: [], notices: [] };
          for (let index = 0; index < events.length; index += batchSize) {
            const before = deepFreeze(batched);
            const transition = reduceAll(before, events.slice(index, index + batchSize));
            batched = transition.rollout;
            expect([...transition.changedClusters].sort()).toEqual(differingClusters(before, batched));
            batchEffects.assignments.push(...transition.assignments);
            batchEffects.notices.push(...transition.notices);
          }
          const comparable = (rollout: Rollout) => ({ ...rollout, version: 0, updatedAt: 0 });
          expect(comparable(batched)).toEqual(comparable(oneByOne));
          expect(batchEffects).toEqual(singleEffects);
        }),
      { numRuns: 100 },
    );
  });

  it('reaches every phase from some event sequence', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(planArbitrary, fc.constantFrom('pause' as const, 'rollback' as const), fc.constantFrom('rev-old', null), fc.array(eventArbitrary, { minLength: 20, maxLength: 150 }),
        (plan, failurePolicy, previousRevision, steps) => {
          let rollout = newRollout({ plan, failurePolicy, previousRevision });
          let at = T0;
          for (const [elapsed, step] of steps) {
            at += elapsed;
            for (const event of eventsOf(step, rollout, at)) rollout = reduce(rollout, event).rollout;
            seen.add(rollout.phase);
          }
        }),
      { numRuns: 200, seed: 7 },
    );
    expect([...seen].sort()).toEqual(['aborted', 'baking', 'done', 'failed', 'paused', 'pending', 'progressing', 'rolledBack', 'superseded']);
  });
});
