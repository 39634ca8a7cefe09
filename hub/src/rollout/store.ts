import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubKeys } from '../redis/keys.js';
import { publishLiveChange } from '../live/live-feed.js';
import { commandName, defineCommands } from '../redis/script-loader.js';
import { rolloutIdOf } from './ids.js';
import { isTerminal, RolloutPhase, type Assignment, type Notice, type Rollout, type Transition } from './machine.js';
import { execAll } from '../redis/pipeline.js';

/** A cluster's assignment as stored and served to its agent. */
export interface StoredAssignment extends Assignment {
  /** When it was assigned (ms since the epoch). */
  assignedAt: number;
}

/** The version of an assignment an agent already has, for long-polls and HTTP ETags. */
export function assignmentTag(assignment: Pick<Assignment, 'rolloutId' | 'attempt' | 'revision'>): string {
  return `${assignment.rolloutId}/${assignment.attempt}/${assignment.revision}`;
}

/** Result codes of rollout-commit-6.lua. */
export enum CommitResult {
  Committed = 1,
  AlreadyCommitted = 0,
  /** The stored rollout is at another version: reload it and apply the event again. */
  Conflict = -1,
  /** Another rollout is in progress (on create). */
  OtherActive = -2,
}

export interface RolloutStoreOptions {
  /** How many notices each rollout keeps. @defaultValue 200 */
  eventsCap?: number;
}

export interface StoredNotice extends Notice {
  at: number;
  rolloutId: string;
}

const COMMIT = commandName('rollout-commit');

/**
 * Rollouts and per-cluster assignments in Redis. Every write is one Lua script run
 * (`rollout-commit-6.lua`): the rollout's state moves only by compare-and-set on its
 * version, together with the assignments and notices of that transition.
 */
export class RolloutStore {
  private readonly eventsCap: number;

  constructor(private readonly client: RedisClient, readonly keys: HubKeys, options: RolloutStoreOptions = {}) {
    this.eventsCap = options.eventsCap ?? 200;
    defineCommands(client);
  }

  /** Stores a new rollout (version 0); refused while another rollout is in progress. */
  create(rollout: Rollout, notices: Notice[] = []): Promise<CommitResult> {
    return this.write(rollout, -1, notices, []);
  }

  /** Stores a transition computed from the rollout at `fromVersion`. */
  commit(fromVersion: number, transition: Transition): Promise<CommitResult> {
    return this.write(transition.rollout, fromVersion, transition.notices, transition.assignments);
  }

  private async write(rollout: Rollout, expectedVersion: number, notices: Notice[], assignments: Assignment[]): Promise<CommitResult> {
    const at = rollout.updatedAt;
    const args = [
      this.keys.rollout(rollout.id), this.keys.rollouts(), this.keys.activeRollout(), this.keys.assignments(),
      this.keys.lastGoodRevision(), this.keys.rolloutEvents(rollout.id),
      rollout.id, expectedVersion, rollout.version, JSON.stringify(rollout), rollout.phase, isTerminal(rollout.phase) ? 1 : 0,
      rollout.revision, rollout.createdAt, rollout.phase === RolloutPhase.Done ? 1 : 0, this.keys.assignmentChannel(), this.eventsCap,
      notices.length, ...notices.map((notice) => JSON.stringify({ ...notice, at, rolloutId: rollout.id } satisfies StoredNotice)),
      assignments.length, ...assignments.flatMap((assignment) => [assignment.cluster, JSON.stringify({ ...assignment, assignedAt: at } satisfies StoredAssignment)]),
    ];
    const run = (this.client as unknown as Record<string, (...values: (string | number)[]) => Promise<number>>)[COMMIT]!;
    const result = Number(await run.apply(this.client, args)) as CommitResult;
    if (result === CommitResult.Committed) await publishLiveChange(this.client, this.keys.liveChannel(), `rollout:${rollout.id}`);
    return result;
  }

  async get(id: string): Promise<Rollout | null> {
    const state = await this.client.hget(this.keys.rollout(id), 'state');
    return state === null ? null : (JSON.parse(state) as Rollout);
  }

  /** The rollout in progress, if any. */
  async active(): Promise<Rollout | null> {
    const id = await this.client.get(this.keys.activeRollout());
    return id === null ? null : this.get(id);
  }

  /** Rollouts, newest first. */
  async list(options: { offset?: number; limit?: number } = {}): Promise<Rollout[]> {
    const offset = options.offset ?? 0;
    const ids = await this.client.zrevrange(this.keys.rollouts(), offset, offset + (options.limit ?? 50) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hget(this.keys.rollout(id), 'state');
    const states = await execAll(pipeline);
    return states.flatMap((state) => (typeof state !== 'string' ? [] : [JSON.parse(state) as Rollout]));
  }

  /** The newest notices of a rollout first. */
  async notices(id: string, limit = 50): Promise<StoredNotice[]> {
    return (await this.client.lrange(this.keys.rolloutEvents(id), 0, limit - 1)).map((json) => JSON.parse(json) as StoredNotice);
  }

  /**
   * The cluster's assignment. A cluster no rollout covered yet (registered after the
   * rollout in progress was planned) gets the last fully rolled-out revision, never the
   * branch head a rollout has not vetted; null only before any rollout finished.
   */
  async assignment(cluster: string): Promise<StoredAssignment | null> {
    const json = await this.client.hget(this.keys.assignments(), cluster);
    if (json !== null) return JSON.parse(json) as StoredAssignment;
    const lastGood = await this.lastGoodRevision();
    if (lastGood === null) return null;
    const rolloutId = rolloutIdOf(lastGood);
    const createdAt = await this.client.zscore(this.keys.rollouts(), rolloutId);
    return {
      cluster, revision: lastGood, rolloutId, attempt: 1, assignedAt: Number(createdAt ?? 0),
      reason: 'not covered by a rollout yet: the last fully rolled-out revision',
    };
  }

  /**
   * The revision each of `clusters` is assigned, as {@link assignment} gives it (the last
   * fully rolled-out revision for a cluster no rollout covered); absent before any rollout.
   */
  async assignedRevisions(clusters: readonly string[]): Promise<Map<string, string>> {
    const assigned = new Map<string, string>();
    if (clusters.length === 0) return assigned;
    const [stored, lastGood] = await Promise.all([this.client.hmget(this.keys.assignments(), ...clusters), this.lastGoodRevision()]);
    clusters.forEach((cluster, index) => {
      const json = stored[index];
      const revision = json ? (JSON.parse(json) as StoredAssignment).revision : lastGood;
      if (revision) assigned.set(cluster, revision);
    });
    return assigned;
  }

  async assignments(): Promise<Map<string, StoredAssignment>> {
    const all = await this.client.hgetall(this.keys.assignments());
    return new Map(Object.entries(all).map(([cluster, json]) => [cluster, JSON.parse(json) as StoredAssignment]));
  }

  async lastGoodRevision(): Promise<string | null> {
    return this.client.get(this.keys.lastGoodRevision());
  }
}
