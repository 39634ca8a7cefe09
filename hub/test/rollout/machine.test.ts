import { describe, expect, it } from 'vitest';
import { reduce, updatingCount, type Rollout } from '../../src/rollout/machine.js';
import { MINUTE, T0, healthy, newRollout, plannedWave, run, type EventInput } from './fixtures.js';

const statuses = (rollout: Rollout) => Object.fromEntries(Object.entries(rollout.clusters).map(([name, cluster]) => [name, cluster.status]));

/** A rollout whose canary wave is baking (c1 applied and ready at T0). */
function bakingCanary(options: Parameters<typeof newRollout>[0] = {}) {
  return run(newRollout(options), [{ type: 'tick' }, ...healthy('c1')]).rollout;
}

/** A rollout in wave eu with e1, e2 updating. */
function progressingEu(options: Parameters<typeof newRollout>[0] = {}) {
  return run(bakingCanary(options), [{ type: 'tick', at: T0 + 10 * MINUTE }]).rollout;
}

describe('rollout state machine', () => {
  describe('when pending', () => {
    it('starts the first wave on a tick and assigns up to maxParallel', () => {
      const { rollout, transitions } = run(newRollout(), [{ type: 'tick' }]);
      expect(rollout.phase).toBe('progressing');
      expect(rollout.wave).toBe(0);
      expect(transitions[0]!.assignments).toEqual([{ cluster: 'c1', revision: 'rev-new', rolloutId: 'r1', attempt: 1, reason: 'wave canary' }]);
      expect(transitions[0]!.notices.map((notice) => notice.kind)).toEqual(['started', 'waveStarted']);
      expect(rollout.deadlineAt).toBe(T0 + 30 * MINUTE);
    });

    it('waits while a blackout window is open and starts when it closes', () => {
      const ends = T0 + 60 * MINUTE;
      const held = run(newRollout(), [{ type: 'blackout', active: true, endsAt: ends }, { type: 'tick', at: T0 + MINUTE }]).rollout;
      expect(held.phase).toBe('pending');
      expect(held.hold).toEqual({ reason: 'blackout', clusters: [], until: ends });
      expect(run(held, [{ type: 'blackout', active: false, endsAt: null, at: ends }]).rollout.phase).toBe('progressing');
    });

    it('can be paused, and resumes into pending', () => {
      const paused = run(newRollout(), [{ type: 'blackout', active: true, endsAt: null }, { type: 'pause', reason: 'change freeze' }]).rollout;
      expect(paused.phase).toBe('paused');
      expect(run(paused, [{ type: 'resume' }]).rollout.phase).toBe('pending');
    });
  });

  describe('when progressing', () => {
    it('keeps the rest of the wave waiting for a free slot', () => {
      const rollout = progressingEu();
      expect(rollout.wave).toBe(1);
      expect(statuses(rollout)).toMatchObject({ c1: 'ready', e1: 'updating', e2: 'updating', e3: 'pending', u1: 'pending' });
      expect(rollout.hold).toEqual({ reason: 'appliedAndReady', clusters: ['e1', 'e2'], until: null });
    });

    it.each([10, 1_000])('assigns a wave of %i clusters at once and holds on exactly the ones not ready yet', (size) => {
      const names = Array.from({ length: size }, (_, index) => `w${String(index).padStart(4, '0')}`);
      const started = run(newRollout({ plan: { waves: [plannedWave('all', names, size), plannedWave('last', ['z'])], excluded: [] } }), [{ type: 'tick' }]);
      expect(started.transitions[0]!.assignments).toHaveLength(size);
      expect(updatingCount(started.rollout)).toBe(size);
      expect(started.rollout.hold).toEqual({ reason: 'appliedAndReady', clusters: names, until: null });
      const { rollout } = run(started.rollout, names.slice(1).flatMap((name) => healthy(name)));
      expect(rollout.hold).toEqual({ reason: 'appliedAndReady', clusters: [names[0]], until: null });
      expect(updatingCount(rollout)).toBe(1);
    });

    it('gives the next cluster the revision as soon as one becomes ready', () => {
      const { rollout, transitions } = run(progressingEu(), healthy('e1'));
      expect(transitions[1]!.assignments.map((assignment) => assignment.cluster)).toEqual(['e3']);
      expect(updatingCount(rollout)).toBe(2);
    });

    it('starts baking once every cluster of the wave is applied, ready and passes its gates', () => {
      const { rollout, transitions } = run(progressingEu(), [...healthy('e1'), ...healthy('e2'), ...healthy('e3', T0 + 11 * MINUTE)]);
      expect(rollout.phase).toBe('baking');
      expect(rollout.waves[1]!.bakeStartedAt).toBe(T0 + 11 * MINUTE);
      expect(rollout.deadlineAt).toBeNull();
      expect(transitions.at(-1)!.notices.map((notice) => notice.kind)).toEqual(['waveBaking']);
    });

    it('names the gate and the clusters holding the wave', () => {
      const { rollout } = run(progressingEu(), [
        ...healthy('e1'), { type: 'gate', cluster: 'e1', gate: 'noNewLinkFailures', passing: false }, ...healthy('e2'), ...healthy('e3'),
      ]);
      expect(rollout.phase).toBe('progressing');
      expect(rollout.hold).toEqual({ reason: 'noNewLinkFailures', clusters: ['e1'], until: null });
    });

    it('holds on an offline cluster before anything else', () => {
      const { rollout } = run(progressingEu(), [{ type: 'clusterOnline', cluster: 'e2', online: false }]);
      expect(rollout.hold).toEqual({ reason: 'online', clusters: ['e2'], until: null });
    });

    it('ignores a gate the wave does not check', () => {
      const plan = { waves: [{ ...plannedWave('only', ['a'], 1, 0), gates: [] }], excluded: [] };
      const { rollout } = run(newRollout({ plan }), [{ type: 'tick' }, { type: 'gate', cluster: 'a', gate: 'noNewDrift', passing: false }, ...healthy('a')]);
      expect(rollout.phase).toBe('done');
    });

    it('counts a cluster as updated once applied when the policy does not check readiness', () => {
      const plan = { waves: [{ ...plannedWave('a', ['a1'], 1, 0), requireReady: false }], excluded: [] };
      const { rollout } = run(newRollout({ plan }), [{ type: 'tick' }, { type: 'clusterApplied', cluster: 'a1', revision: 'rev-new' }]);
      expect(rollout.phase).toBe('done');
    });

    it('waits as long as it takes when the wave has no deadline', () => {
      const plan = { waves: [plannedWave('a', ['a1'], 1, 0, null)], excluded: [] };
      const { rollout } = run(newRollout({ plan }), [{ type: 'tick' }, { type: 'tick', at: T0 + 1000 * MINUTE }]);
      expect(rollout.phase).toBe('progressing');
      expect(rollout.deadlineAt).toBeNull();
    });

    it('moves straight to the next wave when the bake time is zero', () => {
      const plan = { waves: [plannedWave('a', ['a1'], 1, 0), plannedWave('b', ['b1'])], excluded: [] };
      const { rollout, transitions } = run(newRollout({ plan }), [{ type: 'tick' }, ...healthy('a1')]);
      expect(rollout.wave).toBe(1);
      expect(rollout.phase).toBe('progressing');
      expect(transitions.at(-1)!.notices.map((notice) => notice.kind)).toEqual(['waveAdvanced', 'waveStarted']);
      expect(transitions.at(-1)!.assignments.map((assignment) => assignment.cluster)).toEqual(['b1']);
    });

    it('passes an empty wave at once', () => {
      const plan = { waves: [plannedWave('a', ['a1'], 1, 0), plannedWave('none', []), plannedWave('b', ['b1'])], excluded: [] };
      const { rollout } = run(newRollout({ plan }), [{ type: 'tick' }, ...healthy('a1')]);
      expect(rollout.wave).toBe(2);
      expect(rollout.waves[1]!.completedAt).toBe(T0);
    });

    it('pauses at the deadline under the pause policy, naming what held the wave', () => {
      const { rollout, transitions } = run(progressingEu(), [{ type: 'clusterOnline', cluster: 'e1', online: false }, { type: 'tick', at: T0 + 40 * MINUTE }]);
      expect(rollout.phase).toBe('paused');
      expect(rollout.reason).toBe('wave eu missed its deadline, held by online on e1');
      expect(transitions.at(-1)!.notices[0]!.kind).toBe('paused');
    });

    it('rolls back every cluster that got the revision when a cluster fails under the rollback policy', () => {
      const { rollout, transitions } = run(progressingEu({ failurePolicy: 'rollback' }), [
        { type: 'clusterFailed', cluster: 'e2', revision: 'rev-new', reason: 'admission webhook denied' },
      ]);
      expect(rollout.phase).toBe('rolledBack');
      expect(rollout.reason).toBe('cluster e2 failed to apply: admission webhook denied');
      expect(transitions[0]!.assignments.map((assignment) => [assignment.cluster, assignment.revision])).toEqual([
        ['c1', 'rev-old'], ['e1', 'rev-old'], ['e2', 'rev-old'],
      ]);
      expect(statuses(rollout)).toMatchObject({ c1: 'rolledBack', e1: 'rolledBack', e2: 'rolledBack', e3: 'pending', u1: 'pending' });
    });

    it('rolls back clusters carried over from a superseded rollout too', () => {
      const { transitions } = run(newRollout({ failurePolicy: 'rollback', carriedOver: ['u2'] }), [
        { type: 'tick' }, { type: 'clusterFailed', cluster: 'c1', revision: 'rev-new', reason: 'boom' },
      ]);
      expect(transitions[1]!.assignments.map((assignment) => assignment.cluster)).toEqual(['c1', 'u2']);
    });

    it('fails when the rollback policy has no earlier revision to roll back to', () => {
      const { rollout, transitions } = run(newRollout({ failurePolicy: 'rollback', previousRevision: null }), [
        { type: 'tick' }, { type: 'clusterFailed', cluster: 'c1', revision: 'rev-new', reason: 'boom' },
      ]);
      expect(rollout.phase).toBe('failed');
      expect(rollout.reason).toMatch(/no earlier fully rolled-out revision/);
      expect(transitions[1]!.assignments).toEqual([]);
    });

    it('fails a cluster of an earlier wave that drifts, as the revision going bad', () => {
      const { rollout } = run(progressingEu(), [{ type: 'gate', cluster: 'c1', gate: 'noNewDrift', passing: false }]);
      expect(rollout.phase).toBe('paused');
      expect(rollout.clusters.c1!.status).toBe('failed');
      expect(rollout.reason).toBe('cluster c1 gate noNewDrift failed after the cluster passed');
    });

    it('assigns nothing new during a blackout, does not time out in it, and restarts the deadline after', () => {
      const ends = T0 + 90 * MINUTE;
      const during = run(progressingEu(), [
        { type: 'blackout', active: true, endsAt: ends }, ...healthy('e1'), { type: 'tick', at: T0 + 80 * MINUTE },
      ]).rollout;
      expect(during.phase).toBe('progressing');
      expect(statuses(during)).toMatchObject({ e1: 'ready', e2: 'updating', e3: 'pending' });
      expect(during.hold?.reason).toBe('appliedAndReady');
      const after = run(during, [{ type: 'blackout', active: false, endsAt: null, at: ends }]).rollout;
      expect(after.clusters.e3!.status).toBe('updating');
      expect(after.deadlineAt).toBe(ends + 30 * MINUTE);
    });

    it('shows the blackout as the hold when only waiting clusters remain', () => {
      const { rollout } = run(progressingEu(), [{ type: 'blackout', active: true, endsAt: T0 + 90 * MINUTE }, ...healthy('e1'), ...healthy('e2')]);
      expect(rollout.hold).toEqual({ reason: 'blackout', clusters: [], until: T0 + 90 * MINUTE });
    });

    it('ignores reports about another revision and changes nothing for a repeated report', () => {
      const start = progressingEu();
      const other = reduce(start, { type: 'clusterApplied', cluster: 'e1', revision: 'rev-other', at: T0 });
      expect(other.changed).toBe(false);
      expect(other.rollout).toBe(start);
      const first = reduce(start, { type: 'clusterApplied', cluster: 'e1', revision: 'rev-new', at: T0 });
      expect(first.rollout.version).toBe(start.version + 1);
      expect(reduce(first.rollout, { type: 'clusterApplied', cluster: 'e1', revision: 'rev-new', at: T0 + 1 }).changed).toBe(false);
    });
  });

  describe('when baking', () => {
    it('starts the next wave when the bake time is over', () => {
      const { rollout, transitions } = run(bakingCanary(), [{ type: 'tick', at: T0 + 9 * MINUTE }, { type: 'tick', at: T0 + 10 * MINUTE }]);
      expect(transitions[0]!.changed).toBe(false);
      expect(rollout.wave).toBe(1);
      expect(rollout.waves[0]!.completedAt).toBe(T0 + 10 * MINUTE);
      expect(transitions[1]!.notices.map((notice) => notice.kind)).toEqual(['waveAdvanced', 'waveStarted']);
    });

    it('is done after the last wave baked', () => {
      const { rollout, transitions } = run(progressingEu(), [
        ...healthy('e1'), ...healthy('e2'), ...healthy('e3'), { type: 'tick', at: T0 + 20 * MINUTE },
        ...healthy('u1', T0 + 20 * MINUTE), ...healthy('u2', T0 + 20 * MINUTE), { type: 'tick', at: T0 + 30 * MINUTE },
      ]);
      expect(rollout.phase).toBe('done');
      expect(rollout.wave).toBe(3);
      expect(transitions.at(-1)!.notices.map((notice) => notice.kind)).toEqual(['waveAdvanced', 'done']);
      expect(Object.values(rollout.clusters).every((cluster) => cluster.status === 'ready')).toBe(true);
    });

    it('rolls back when drift appears during the bake under the rollback policy', () => {
      const { rollout, transitions } = run(bakingCanary({ failurePolicy: 'rollback' }), [{ type: 'gate', cluster: 'c1', gate: 'noNewDrift', passing: false, at: T0 + MINUTE }]);
      expect(rollout.phase).toBe('rolledBack');
      expect(transitions[0]!.assignments).toEqual([{ cluster: 'c1', revision: 'rev-old', rolloutId: 'r1', attempt: 2, reason: 'rollback: cluster c1 gate noNewDrift failed after the cluster passed' }]);
    });

    it('keeps what a failing gate names while it fails, and drops it once it passes', () => {
      const { rollout: failing } = run(progressingEu(), [{ type: 'gate', cluster: 'e1', gate: 'noNewLinkFailures', passing: false, detail: 'e1→u1 stale' }]);
      expect(failing.clusters['e1']!.gateDetails).toEqual({ noNewLinkFailures: 'e1→u1 stale' });
      const { rollout: passing } = run(failing, [{ type: 'gate', cluster: 'e1', gate: 'noNewLinkFailures', passing: true }]);
      expect(passing.clusters['e1']!.gateDetails).toBeUndefined();
    });

    it('rolls back when a link fails during the bake, naming the link', () => {
      const { rollout } = run(bakingCanary({ failurePolicy: 'rollback' }), [{ type: 'gate', cluster: 'c1', gate: 'noNewLinkFailures', passing: false, detail: 'c1→e1 unreachable' }]);
      expect(rollout.phase).toBe('rolledBack');
      expect(rollout.reason).toBe('cluster c1 gate noNewLinkFailures failed after the cluster passed: c1→e1 unreachable');
    });

    it('goes back to progressing with a fresh deadline when a cluster goes offline', () => {
      const { rollout } = run(bakingCanary(), [{ type: 'clusterOnline', cluster: 'c1', online: false, at: T0 + 5 * MINUTE }]);
      expect(rollout.phase).toBe('progressing');
      expect(rollout.hold).toEqual({ reason: 'online', clusters: ['c1'], until: null });
      expect(rollout.deadlineAt).toBe(T0 + 35 * MINUTE);
      const back = run(rollout, [{ type: 'clusterOnline', cluster: 'c1', online: true, at: T0 + 6 * MINUTE }]).rollout;
      expect(back.phase).toBe('baking');
      expect(back.waves[0]!.bakeStartedAt).toBe(T0 + 6 * MINUTE);
    });

    it('skips the rest of the bake on promote', () => {
      const { rollout, transitions } = run(bakingCanary(), [{ type: 'promote', at: T0 + MINUTE }]);
      expect(rollout.wave).toBe(1);
      expect(transitions[0]!.notices[0]).toMatchObject({ kind: 'waveAdvanced', message: 'wave canary promoted' });
    });

    it('does not advance during a blackout, and advances when it ends', () => {
      const ends = T0 + 60 * MINUTE;
      const held = run(bakingCanary(), [{ type: 'blackout', active: true, endsAt: ends }, { type: 'tick', at: T0 + 20 * MINUTE }]);
      expect(held.rollout.phase).toBe('baking');
      expect(held.rollout.hold).toEqual({ reason: 'blackout', clusters: [], until: ends });
      expect(reduce(held.rollout, { type: 'promote', at: T0 + 21 * MINUTE }).refused).toMatch(/blackout/);
      expect(run(held.rollout, [{ type: 'blackout', active: false, endsAt: null, at: ends }]).rollout.wave).toBe(1);
    });

    it('pauses on a failed apply under the pause policy', () => {
      const { rollout } = run(bakingCanary(), [{ type: 'clusterFailed', cluster: 'c1', revision: 'rev-new', reason: 'boom' }]);
      expect(rollout.phase).toBe('paused');
      expect(rollout.pausedFrom).toBe('baking');
    });
  });

  describe('when paused', () => {
    it('assigns nothing while paused and resumes with a fresh deadline and a full bake', () => {
      const paused = run(progressingEu(), [{ type: 'pause', reason: 'investigating', at: T0 + 11 * MINUTE }, ...healthy('e1')]).rollout;
      expect(paused.phase).toBe('paused');
      expect(paused.clusters.e3!.status).toBe('pending');
      expect(paused.deadlineAt).toBeNull();
      const { rollout, transitions } = run(paused, [{ type: 'resume', at: T0 + 50 * MINUTE }]);
      expect(rollout.phase).toBe('progressing');
      expect(rollout.deadlineAt).toBe(T0 + 80 * MINUTE);
      expect(transitions[0]!.assignments.map((assignment) => assignment.cluster)).toEqual(['e3']);
    });

    it('still watches a wave paused during its bake under the rollback policy', () => {
      const { rollout } = run(bakingCanary({ failurePolicy: 'rollback' }), [{ type: 'pause', reason: 'look' }, { type: 'gate', cluster: 'c1', gate: 'noCriticalAlerts', passing: false }]);
      expect(rollout.phase).toBe('rolledBack');
    });

    it('keeps the first pause and records a later failure as the reason', () => {
      const { rollout } = run(progressingEu(), [{ type: 'pause', reason: 'manual' }, { type: 'clusterFailed', cluster: 'e1', revision: 'rev-new', reason: 'boom' }]);
      expect(rollout.phase).toBe('paused');
      expect(rollout.reason).toBe('cluster e1 failed to apply: boom');
    });

    it('requeues failed clusters on resume and gives them the revision again', () => {
      const failed = run(progressingEu(), [{ type: 'clusterFailed', cluster: 'e1', revision: 'rev-new', reason: 'boom' }]).rollout;
      const { rollout, transitions } = run(failed, [{ type: 'resume' }]);
      expect(transitions[0]!.assignments).toEqual([{ cluster: 'e1', revision: 'rev-new', rolloutId: 'r1', attempt: 2, reason: 'wave eu' }]);
      expect(rollout.clusters.e1!.status).toBe('updating');
    });

    it('rolls back on the rollback control', () => {
      const paused = run(progressingEu(), [{ type: 'pause', reason: 'manual' }]).rollout;
      const { rollout, transitions } = run(paused, [{ type: 'rollback', reason: 'bad commit' }]);
      expect(rollout.phase).toBe('rolledBack');
      expect(transitions[0]!.assignments.map((assignment) => assignment.cluster)).toEqual(['c1', 'e1', 'e2']);
    });

    it('aborts, leaving every cluster as it is', () => {
      const paused = run(progressingEu(), [{ type: 'pause', reason: 'manual' }]).rollout;
      const { rollout, transitions } = run(paused, [{ type: 'abort', reason: 'not needed' }]);
      expect(rollout.phase).toBe('aborted');
      expect(transitions[0]!.assignments).toEqual([]);
      expect(statuses(rollout)).toEqual(statuses(paused));
    });
  });

  describe('when failed', () => {
    const failed = () => run(newRollout({ failurePolicy: 'rollback', previousRevision: null }), [
      { type: 'tick' }, { type: 'clusterFailed', cluster: 'c1', revision: 'rev-new', reason: 'boom' },
    ]).rollout;

    it('resumes with the failed clusters given the revision again', () => {
      const { rollout, transitions } = run(failed(), [{ type: 'resume' }]);
      expect(rollout.phase).toBe('progressing');
      expect(transitions[0]!.assignments.map((assignment) => [assignment.cluster, assignment.attempt])).toEqual([['c1', 2]]);
    });

    it('queues a retried cluster, assigned on resume', () => {
      const retried = run(failed(), [{ type: 'retry', cluster: 'c1' }]).rollout;
      expect(retried.phase).toBe('failed');
      expect(retried.clusters.c1!.status).toBe('pending');
      expect(run(retried, [{ type: 'resume' }]).rollout.clusters.c1!.status).toBe('updating');
    });

    it('aborts', () => {
      expect(run(failed(), [{ type: 'abort', reason: 'give up' }]).rollout.phase).toBe('aborted');
    });

    it('refuses a rollback, having nothing to roll back to', () => {
      expect(reduce(failed(), { type: 'rollback', reason: 'x', at: T0 }).refused).toBe('there is no earlier fully rolled-out revision to roll back to');
    });
  });

  describe('when a newer revision arrives', () => {
    it.each<[string, EventInput[]]>([
      ['pending', []],
      ['progressing', [{ type: 'tick' }]],
      ['baking', [{ type: 'tick' }, ...healthy('c1')]],
      ['paused', [{ type: 'pause', reason: 'x' }]],
    ])('supersedes a %s rollout without assigning anything', (phase, events) => {
      const before = run(newRollout(), events).rollout;
      expect(before.phase).toBe(phase);
      const transition = reduce(before, { type: 'superseded', byRevision: 'rev-newer', at: T0 });
      expect(transition.rollout.phase).toBe('superseded');
      expect(transition.rollout.reason).toBe('superseded by revision rev-newer');
      expect(transition.assignments).toEqual([]);
    });
  });

  describe('when terminal', () => {
    it.each<[string, EventInput[]]>([
      ['aborted', [{ type: 'abort', reason: 'x' }]],
      ['superseded', [{ type: 'superseded', byRevision: 'r2' }]],
      ['rolledBack', [{ type: 'rollback', reason: 'x' }]],
    ])('stays %s whatever comes', (phase, events) => {
      const terminal = run(newRollout(), events).rollout;
      expect(terminal.phase).toBe(phase);
      for (const event of [{ type: 'resume' }, { type: 'tick' }, { type: 'retry', cluster: 'c1' }, { type: 'clusterFailed', cluster: 'c1', revision: 'rev-new', reason: 'x' }] as EventInput[]) {
        const transition = reduce(terminal, { at: T0, ...event } as Parameters<typeof reduce>[1]);
        expect(transition.changed).toBe(false);
        expect(transition.rollout).toBe(terminal);
      }
    });
  });

  describe('refused controls', () => {
    it.each<[string, () => Rollout, EventInput, RegExp]>([
      ['pause of a paused rollout', () => run(newRollout(), [{ type: 'pause', reason: 'x' }]).rollout, { type: 'pause', reason: 'y' }, /only a pending, progressing or baking/],
      ['resume of a running rollout', () => progressingEu(), { type: 'resume' }, /only a paused or failed/],
      ['promote while progressing', () => progressingEu(), { type: 'promote' }, /only a baking wave/],
      ['retry of a healthy cluster', () => progressingEu(), { type: 'retry', cluster: 'c1' }, /has not failed/],
      ['retry of an unknown cluster', () => progressingEu(), { type: 'retry', cluster: 'nope' }, /has not failed/],
      ['rollback of the first rollout', () => newRollout({ previousRevision: null }), { type: 'rollback', reason: 'x' }, /no earlier/],
      ['anything on a done rollout', () => run(newRollout({ plan: { waves: [], excluded: [] } }), [{ type: 'tick' }]).rollout, { type: 'abort', reason: 'x' }, /the rollout is done/],
    ])('refuses %s and changes nothing', (_name, build, event, message) => {
      const before = build();
      const transition = reduce(before, { at: T0, ...event } as Parameters<typeof reduce>[1]);
      expect(transition.refused).toMatch(message);
      expect(transition.changed).toBe(false);
      expect(transition.rollout).toBe(before);
    });
  });

  it('never mutates the rollout it is given', () => {
    const before = progressingEu();
    const copy = structuredClone(before);
    run(before, [...healthy('e1'), { type: 'clusterFailed', cluster: 'e2', revision: 'rev-new', reason: 'x' }]);
    expect(before).toEqual(copy);
  });

});
