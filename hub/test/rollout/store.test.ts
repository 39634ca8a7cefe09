import { Redis } from 'ioredis';
import { sharedRedis } from '@netfleet/test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRollout, reduce, reduceAll, type Rollout, type RolloutEvent } from '../../src/rollout/machine.js';
import { HubKeys } from '../../src/redis/keys.js';
import { CommitResult, RolloutStore, assignmentTag } from '../../src/rollout/store.js';
import { T0, healthy, newRollout, plannedWave, storeWhole, type EventInput } from './fixtures.js';

async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

describe('rollout store on Redis', () => {
  let client: Redis;
  let store: RolloutStore;
  let prefix: string;

  beforeEach(() => {
    const redis = sharedRedis('rollout-store');
    prefix = `{${redis.prefix}}`;
    client = new Redis(redis.url);
    store = new RolloutStore(client, new HubKeys(prefix), { eventsCap: 5 });
  });

  afterEach(async () => {
    await deleteKeys(client, `${prefix}*`);
    client.disconnect();
  });

  /** Applies events one by one and commits each transition; returns the last rollout. */
  async function drive(rollout: Rollout, events: EventInput[]): Promise<Rollout> {
    let current = rollout;
    for (const event of events) {
      const transition = reduce(current, { at: T0, ...event } as RolloutEvent);
      if (!transition.changed) continue;
      expect(await store.commit(current.version, transition)).toBe(CommitResult.Committed);
      current = transition.rollout;
    }
    return current;
  }

  describe('when a rollout is created', () => {
    it('reads it back as the active rollout and lists it', async () => {
      const rollout = newRollout();
      expect(await store.create(rollout)).toBe(CommitResult.Committed);
      expect(await store.get('r1')).toEqual(rollout);
      expect((await store.active())?.id).toBe('r1');
      expect((await store.list()).map((listed) => listed.id)).toEqual(['r1']);
    });

    it('refuses a second rollout while one is in progress', async () => {
      await store.create(newRollout());
      const other = createRollout({ id: 'r2', revision: 'rev-2', previousRevision: null, failurePolicy: 'pause', policy: { name: 'default', blackouts: undefined }, plan: { waves: [], excluded: [] }, at: T0 });
      expect(await store.create(other)).toBe(CommitResult.OtherActive);
      expect(await store.get('r2')).toBeNull();
    });

    it('takes the same create twice as already done', async () => {
      await store.create(newRollout());
      expect(await store.create(newRollout())).toBe(CommitResult.AlreadyCommitted);
    });
  });

  describe('when a transition is committed', () => {
    it('stores the new state, the assignments and the notices together', async () => {
      await store.create(newRollout());
      const rollout = await drive(newRollout(), [{ type: 'tick' }]);
      expect(await store.get('r1')).toEqual(rollout);
      const assignment = await store.assignment('c1');
      expect(assignment).toEqual({ cluster: 'c1', revision: 'rev-new', rolloutId: 'r1', attempt: 1, reason: 'wave canary', assignedAt: T0 });
      expect(assignmentTag(assignment!)).toBe('r1/1/rev-new');
      expect((await store.notices('r1')).map((notice) => notice.kind)).toEqual(['waveStarted', 'started']);
    });

    it('takes the same transition twice as already committed, writing nothing twice', async () => {
      await store.create(newRollout());
      const transition = reduce(newRollout(), { type: 'tick', at: T0 });
      expect(await store.commit(0, transition)).toBe(CommitResult.Committed);
      expect(await store.commit(0, transition)).toBe(CommitResult.AlreadyCommitted);
      expect(await store.notices('r1')).toHaveLength(2);
    });

    it('refuses a transition computed from an older version, so a wave never advances twice', async () => {
      await store.create(newRollout());
      const started = await drive(newRollout(), [{ type: 'tick' }]);
      // A leader that lost its lease still holds version 0 and computes its own start.
      const stale = reduce(newRollout(), { type: 'pause', reason: 'stale leader', at: T0 + 1 });
      expect(await store.commit(0, stale)).toBe(CommitResult.Conflict);
      expect(await store.get('r1')).toEqual(started);
    });

    it('lets exactly one of two racing leaders commit from the same version', async () => {
      await store.create(newRollout());
      const base = await drive(newRollout(), [{ type: 'tick' }]);
      const other = new Redis(client.options);
      try {
        const otherStore = new RolloutStore(other, new HubKeys(prefix));
        const first = reduce(base, { type: 'pause', reason: 'leader A', at: T0 + 1 });
        const second = reduce(base, { type: 'abort', reason: 'leader B', at: T0 + 1 });
        const results = await Promise.all([store.commit(base.version, first), otherStore.commit(base.version, second)]);
        expect([...results].sort()).toEqual([CommitResult.Conflict, CommitResult.Committed]);
        expect((await store.get('r1'))!.version).toBe(base.version + 1);
      } finally {
        other.disconnect();
      }
    });

    it('keeps only the newest notices', async () => {
      await store.create(newRollout());
      await drive(newRollout(), [{ type: 'tick' }, { type: 'pause', reason: '1' }, { type: 'resume' }, { type: 'pause', reason: '2' }, { type: 'resume' }]);
      const notices = await store.notices('r1');
      expect(notices).toHaveLength(5);
      expect(notices[0]).toMatchObject({ kind: 'resumed', rolloutId: 'r1', at: T0 });
    });

    it('publishes the cluster name of every changed assignment', async () => {
      const subscriber = new Redis(client.options);
      try {
        const received: string[] = [];
        subscriber.on('message', (_channel, cluster: string) => received.push(cluster));
        await subscriber.subscribe(store.keys.assignmentChannel());
        await store.create(newRollout());
        await drive(newRollout(), [{ type: 'tick' }]);
        await expect.poll(() => received).toEqual(['c1']);
      } finally {
        subscriber.disconnect();
      }
    });
  });

  describe('when a transition changes a few clusters', () => {
    it('writes the header and only the clusters that changed', async () => {
      await store.create(newRollout());
      const started = await drive(newRollout(), [{ type: 'tick' }]);
      const written = new Redis(client.options);
      try {
        // Every other cluster's stored progress is left as it was: a marker in one survives the commit.
        await written.hset(store.keys.rolloutClusters('r1'), 'u2', 'untouched');
        const transition = reduce(started, { type: 'clusterApplied', cluster: 'c1', revision: 'rev-new', at: T0 + 1 });
        expect(transition.changedClusters).toEqual(['c1']);
        expect(await store.commit(started.version, transition)).toBe(CommitResult.Committed);
        expect(await written.hget(store.keys.rolloutClusters('r1'), 'u2')).toBe('untouched');
        expect(JSON.parse((await written.hget(store.keys.rolloutClusters('r1'), 'c1'))!)).toEqual(transition.rollout.clusters.c1);
        expect(JSON.parse((await written.hget(store.keys.rollout('r1'), 'header'))!)).not.toHaveProperty('clusters');
      } finally {
        written.disconnect();
      }
    });

    it('reads a rollout back in plan order, and lists it without its clusters', async () => {
      await store.create(newRollout());
      const rollout = await drive(newRollout(), [{ type: 'tick' }, ...healthy('c1', T0 + 1)]);
      const read = (await store.get('r1'))!;
      expect(read).toEqual(rollout);
      expect(Object.keys(read.clusters)).toEqual(Object.keys(rollout.clusters));
      const { clusters: _clusters, ...header } = rollout;
      expect(await store.list()).toEqual([header]);
      expect(await store.header('r1')).toEqual(header);
      expect(await store.version('r1')).toBe(rollout.version);
    });
  });

  describe('when a rollout covers 100,000 clusters', () => {
    const names = Array.from({ length: 100_000 }, (_, index) => `cluster-${String(index).padStart(6, '0')}`);

    it('creates it, reads it back, and commits an assignment of every cluster', async () => {
      const rollout = newRollout({ plan: { waves: [plannedWave('all', names, names.length)], excluded: [] } });
      expect(await store.create(rollout)).toBe(CommitResult.Committed);
      expect(await store.get('r1')).toEqual(rollout);

      // As a rollback assigns them all (built here: the store takes any transition).
      const next = { ...rollout, version: rollout.version + 1, updatedAt: T0 + 1 };
      const assignments = names.map((cluster) => ({ cluster, revision: 'rev-old', rolloutId: 'r1', attempt: 1, reason: 'rolled back' }));
      expect(await store.commit(rollout.version, { rollout: next, changed: true, changedClusters: [], assignments, notices: [] })).toBe(CommitResult.Committed);
      expect(await store.header('r1')).toMatchObject({ version: next.version });
      const assigned = await store.assignments();
      expect(assigned.size).toBe(names.length);
      expect(new Set([...assigned.values()].map((assignment) => assignment.revision))).toEqual(new Set(['rev-old']));
    }, 30_000);
  });

  describe('when a rollout was stored whole by an earlier hub', () => {
    it('reads it, and moves it to the per-cluster layout on its first commit', async () => {
      const started = reduce(newRollout(), { type: 'tick', at: T0 }).rollout;
      await storeWhole(client, store.keys, started);
      expect(await store.get('r1')).toEqual(started);
      expect(await store.active()).toEqual(started);
      const { clusters: _clusters, ...header } = started;
      expect(await store.list()).toEqual([header]);

      const applied = await drive(started, healthy('c1', T0 + 1));
      expect(await store.get('r1')).toEqual(applied);
      expect(await client.hexists(store.keys.rollout('r1'), 'plan')).toBe(1);
      expect(await client.hlen(store.keys.rolloutClusters('r1'))).toBe(Object.keys(applied.clusters).length);
      expect(await client.hexists(store.keys.rollout('r1'), 'state')).toBe(0);
    });

    it('still refuses a transition from an older version', async () => {
      const started = reduce(newRollout(), { type: 'tick', at: T0 }).rollout;
      await storeWhole(client, store.keys, started);
      const stale = reduce(newRollout(), { type: 'pause', reason: 'stale leader', at: T0 + 1 });
      expect(await store.commit(0, stale)).toBe(CommitResult.Conflict);
      expect(await store.get('r1')).toEqual(started);
    });
  });

  describe('when more rollouts finished than are kept', () => {
    /** Creates rollout `id` at `at` and ends it: done (every cluster healthy) or aborted. */
    async function finish(kept: RolloutStore, id: string, at: number, end: 'done' | 'abort'): Promise<void> {
      const plan = { waves: [plannedWave('only', ['a'], 1, 0)], excluded: [] };
      const rollout = createRollout({ id, revision: `rev-${id}`, previousRevision: null, failurePolicy: 'pause', policy: { name: 'default', blackouts: undefined }, plan, at });
      expect(await kept.create(rollout)).toBe(CommitResult.Committed);
      const events: RolloutEvent[] = end === 'done'
        ? [{ type: 'tick', at }, ...healthy('a', at, rollout.revision).map((event) => ({ ...event, at }) as RolloutEvent)]
        : [{ type: 'abort', reason: 'next', at }];
      expect(await kept.commit(0, reduceAll(rollout, events))).toBe(CommitResult.Committed);
    }

    it('deletes the oldest with their clusters and notices, but keeps the last fully rolled-out one', async () => {
      const kept = new RolloutStore(client, new HubKeys(prefix), { rolloutsKept: 2 });
      await finish(kept, 'r1', T0, 'done');
      await finish(kept, 'r2', T0 + 1, 'abort');
      await finish(kept, 'r3', T0 + 2, 'abort');
      expect((await kept.list()).map((rollout) => rollout.id)).toEqual(['r3', 'r2', 'r1']);
      await finish(kept, 'r4', T0 + 3, 'abort');
      expect((await kept.list()).map((rollout) => rollout.id)).toEqual(['r4', 'r3', 'r1']);
      expect(await client.exists(kept.keys.rollout('r2'), kept.keys.rolloutClusters('r2'), kept.keys.rolloutEvents('r2'))).toBe(0);
      expect(await kept.get('r2')).toBeNull();
      expect(await client.exists(kept.keys.rollout('r1'), kept.keys.rolloutClusters('r1'), kept.keys.rolloutEvents('r1'))).toBe(3);
      expect(await kept.lastGoodRevision()).toBe('rev-r1');
    });

    it('keeps every rollout when told 0', async () => {
      const kept = new RolloutStore(client, new HubKeys(prefix), { rolloutsKept: 0 });
      for (const [index, id] of ['r1', 'r2', 'r3'].entries()) await finish(kept, id, T0 + index, 'abort');
      expect((await kept.list()).map((rollout) => rollout.id)).toEqual(['r3', 'r2', 'r1']);
    });
  });

  describe('when a rollout ends', () => {
    it('clears the active rollout and records a done revision as the last good one', async () => {
      const plan = { waves: [plannedWave('only', ['a'], 1, 0)], excluded: [] };
      const rollout = newRollout({ plan });
      await store.create(rollout);
      const done = await drive(rollout, [{ type: 'tick' }, ...healthy('a')]);
      expect(done.phase).toBe('done');
      expect(await store.active()).toBeNull();
      expect(await store.lastGoodRevision()).toBe('rev-new');
    });

    it('gives each cluster\'s assigned revision in one read: its own, else the last good one', async () => {
      const plan = { waves: [plannedWave('only', ['a'], 1, 0)], excluded: [] };
      expect(await store.assignedRevisions(['a', 'later'])).toEqual(new Map());
      const rollout = newRollout({ plan });
      await store.create(rollout);
      await drive(rollout, [{ type: 'tick' }]);
      // Before any rollout finished, a cluster no rollout covers has none.
      expect(await store.assignedRevisions(['a', 'later'])).toEqual(new Map([['a', 'rev-new']]));
      await drive((await store.get(rollout.id))!, healthy('a'));
      expect(await store.assignedRevisions(['a', 'later'])).toEqual(new Map([['a', 'rev-new'], ['later', 'rev-new']]));
    });

    it('gives every changed cluster the last good revision on rollback', async () => {
      await store.create(newRollout());
      await drive(newRollout(), [{ type: 'tick' }, { type: 'rollback', reason: 'bad commit' }]);
      expect(await store.assignment('c1')).toMatchObject({ revision: 'rev-old', attempt: 2, reason: 'rollback: bad commit' });
      expect(await store.lastGoodRevision()).toBeNull();
      expect(await store.active()).toBeNull();
    });
  });
});
