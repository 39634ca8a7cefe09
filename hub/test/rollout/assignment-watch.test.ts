import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubKeys } from '../../src/redis/keys.js';
import { AssignmentWatch } from '../../src/rollout/assignment-watch.js';
import { reduce } from '../../src/rollout/machine.js';
import { CommitResult, RolloutStore, assignmentTag } from '../../src/rollout/store.js';
import { quietLogger, testKeySpace } from '../helpers.js';
import { T0, healthy, newRollout, plannedWave, run } from './fixtures.js';

describe('assignment watch', () => {
  let space: ReturnType<typeof testKeySpace>;
  let client: Redis;
  let store: RolloutStore;
  let watch: AssignmentWatch;

  beforeEach(async () => {
    space = testKeySpace('assign-watch');
    client = new Redis(space.url);
    store = new RolloutStore(client, new HubKeys(space.prefix));
    watch = new AssignmentWatch(client, store, quietLogger());
    await store.create(newRollout());
  });

  afterEach(async () => {
    await watch.close();
    client.disconnect();
    await space.cleanup();
  });

  /** Starts the rollout: c1 gets its assignment. */
  const assignCanary = () => store.commit(0, reduce(newRollout(), { type: 'tick', at: T0 }));

  it('answers at once when the agent does not have the current assignment', async () => {
    await assignCanary();
    const assignment = await watch.wait('c1', undefined, 10_000);
    expect(assignment).toMatchObject({ revision: 'rev-new', attempt: 1 });
  });

  it('wakes a waiting agent when its assignment changes', async () => {
    const started = Date.now();
    const waiting = watch.wait('c1', undefined, 20_000);
    await watch.start();
    await assignCanary();
    const assignment = await waiting;
    expect(assignment && assignmentTag(assignment)).toBe('r1/1/rev-new');
    // Woken by the change, long before its 20 s were up.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('keeps waiting through changes to other clusters and returns the unchanged assignment when the time is up', async () => {
    const waiting = watch.wait('e1', undefined, 300);
    await assignCanary();
    expect(await waiting).toBeNull();
  });

  it('ends every wait with the unchanged assignment when the hub stops, and answers later waits at once', async () => {
    await assignCanary();
    const tag = assignmentTag((await store.assignment('c1'))!);
    const started = Date.now();
    const waiting = watch.wait('c1', tag, 20_000);
    await watch.start();
    await watch.close();
    expect(await waiting).toMatchObject({ revision: 'rev-new' });
    expect(await watch.wait('c1', tag, 20_000)).toMatchObject({ revision: 'rev-new' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('returns the unchanged assignment when the agent goes away', async () => {
    await assignCanary();
    const tag = assignmentTag((await store.assignment('c1'))!);
    const controller = new AbortController();
    const waiting = watch.wait('c1', tag, 20_000, controller.signal);
    controller.abort();
    expect(await waiting).toMatchObject({ revision: 'rev-new' });
  });
});

describe('a cluster no rollout covered yet', () => {
  let space: ReturnType<typeof testKeySpace>;
  let client: Redis;
  let store: RolloutStore;
  let watch: AssignmentWatch;

  beforeEach(() => {
    space = testKeySpace('assign-default');
    client = new Redis(space.url);
    store = new RolloutStore(client, new HubKeys(space.prefix));
    watch = new AssignmentWatch(client, store, quietLogger());
  });

  afterEach(async () => {
    await watch.close();
    client.disconnect();
    await space.cleanup();
  });

  /** Rolls `revision` out to c1 alone, committing every transition as the controller does. */
  async function rollOut(revision: string): Promise<void> {
    const created = { ...newRollout({ plan: { waves: [plannedWave('all', ['c1'], 1, 0)], excluded: [] } }), id: revision, revision };
    await store.create(created);
    let current = created;
    for (const transition of run(created, [{ type: 'tick' }, ...healthy('c1', T0, revision), { type: 'tick' }]).transitions) {
      if (!transition.changed) continue;
      expect(await store.commit(current.version, transition)).toBe(CommitResult.Committed);
      current = transition.rollout;
    }
    expect(current.phase).toBe('done');
  }

  it('has no assignment before any rollout finished, then the last fully rolled-out revision, woken when it changes', async () => {
    expect(await watch.wait('late', undefined, 0)).toBeNull();
    await rollOut('rev-a');
    const first = await watch.wait('late', undefined, 0);
    expect(first).toMatchObject({ cluster: 'late', revision: 'rev-a', rolloutId: 'rev-a', attempt: 1, reason: expect.stringMatching(/not covered by a rollout/) });
    expect((await store.assignments()).has('late')).toBe(false);

    const started = Date.now();
    const waiting = watch.wait('late', assignmentTag(first!), 20_000);
    await watch.start();
    await rollOut('rev-b');
    expect(await waiting).toMatchObject({ revision: 'rev-b' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
