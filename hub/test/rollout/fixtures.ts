import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubKeys } from '../../src/redis/keys.js';
import type { RolloutPlan, PlannedWave } from '../../src/rollout/plan.js';
import { createRollout, reduce, type Rollout, type RolloutEvent, type Transition } from '../../src/rollout/machine.js';

export const T0 = Date.parse('2026-11-26T10:00:00Z');
export const MINUTE = 60_000;

export function plannedWave(name: string, clusters: string[], maxParallel = 1, bakeTimeMs = 10 * MINUTE, deadlineMs: number | null = 30 * MINUTE): PlannedWave {
  return { name, clusters, maxParallel, bakeTimeMs, deadlineMs, requireReady: true, gates: ['noNewDrift', 'noNewLinkFailures', 'noCriticalAlerts'] };
}

/** canary (c1) → eu (e1, e2, e3; 2 at a time) → us (u1, u2; 1 at a time). */
export const threeWaves: RolloutPlan = {
  waves: [plannedWave('canary', ['c1']), plannedWave('eu', ['e1', 'e2', 'e3'], 2), plannedWave('us', ['u1', 'u2'], 1)],
  excluded: [],
};

export function newRollout(options: { plan?: RolloutPlan; failurePolicy?: 'pause' | 'rollback'; previousRevision?: string | null; carriedOver?: string[] } = {}): Rollout {
  return createRollout({
    id: 'r1', revision: 'rev-new', previousRevision: options.previousRevision === undefined ? 'rev-old' : options.previousRevision,
    failurePolicy: options.failurePolicy ?? 'pause', policy: { name: 'default', blackouts: undefined }, plan: options.plan ?? threeWaves, at: T0,
    ...(options.carriedOver ? { carriedOver: options.carriedOver } : {}),
  });
}

type Without<E, K extends PropertyKey> = E extends unknown ? Omit<E, K> : never;
export type EventInput = Without<RolloutEvent, 'at'> & { at?: number };

/** Runs events in order (each at T0 unless it says otherwise) and returns every transition. */
export function run(rollout: Rollout, events: EventInput[]): { rollout: Rollout; transitions: Transition[] } {
  const transitions: Transition[] = [];
  let current = rollout;
  for (const event of events) {
    const transition = reduce(current, { at: T0, ...event } as RolloutEvent);
    transitions.push(transition);
    current = transition.rollout;
  }
  return { rollout: current, transitions };
}

/** The events of a cluster applying the revision and becoming ready. */
export function healthy(cluster: string, at = T0, revision = 'rev-new'): EventInput[] {
  return [{ type: 'clusterApplied', cluster, revision, at }, { type: 'clusterReady', cluster, revision, ready: true, at }];
}

/**
 * Stores a rollout in progress as hubs before the per-cluster layout did: the whole rollout
 * as one JSON in the `state` field, no `plan` field and no clusters hash.
 */
export async function storeWhole(redis: RedisClient, keys: HubKeys, rollout: Rollout): Promise<void> {
  await redis.multi()
    .hset(keys.rollout(rollout.id), 'version', rollout.version, 'phase', rollout.phase, 'revision', rollout.revision, 'state', JSON.stringify(rollout))
    .zadd(keys.rollouts(), rollout.createdAt, rollout.id)
    .set(keys.activeRollout(), rollout.id)
    .exec();
}
