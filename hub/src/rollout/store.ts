import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { HubKeys } from '../redis/keys.js';
import { publishLiveChange } from '../live/live-feed.js';
import { commandName, defineCommands } from '../redis/script-loader.js';
import { rolloutIdOf } from './ids.js';
import {
  isTerminal, RolloutPhase, type Assignment, type ClusterProgress, type Notice, type Rollout, type RolloutHeader, type Transition,
} from './machine.js';
import type { RolloutPlan } from './plan.js';
import { execAll } from '../redis/pipeline.js';
import type { AssignedRevisions } from '../state/fleet-state.js';

/** A cluster's assignment as stored and served to its agent. */
export interface StoredAssignment extends Assignment {
  /** When it was assigned (ms since the epoch). */
  assignedAt: number;
}

/** The version of an assignment an agent already has, for long-polls and HTTP ETags. */
export function assignmentTag(assignment: Pick<Assignment, 'rolloutId' | 'attempt' | 'revision'>): string {
  return `${assignment.rolloutId}/${assignment.attempt}/${assignment.revision}`;
}

/** Result codes of rollout-commit-7.lua. */
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
  /**
   * How many rollouts are kept, newest first: when a rollout finishes, older ones are
   * deleted with their clusters' progress and notices, except the rollout of the last fully
   * rolled-out revision. 0 keeps every rollout. @defaultValue 20
   */
  rolloutsKept?: number;
}

export interface StoredNotice extends Notice {
  at: number;
  rolloutId: string;
}

const COMMIT = commandName('rollout-commit');
/** rollout-commit-7.lua's answer to a commit of changed clusters only, when the rollout is stored whole (an earlier hub's layout). */
const STORED_WHOLE = -3;

/** The header as stored in the `header` field: the plan and the clusters are stored apart. */
type StoredHeader = Omit<RolloutHeader, 'plan'>;

/**
 * Rollouts and per-cluster assignments in Redis. Every write is one Lua script run
 * (`rollout-commit-7.lua`): the rollout's state moves only by compare-and-set on its
 * version, together with the assignments and notices of that transition.
 *
 * A rollout is stored as a small header (phase, wave, timings, version), its plan (written
 * once) and a hash of each cluster's progress, of which a commit writes only the clusters
 * that changed: a tick of a 10,000-cluster rollout sends its changes, not the fleet.
 * Earlier hubs stored the whole rollout as one JSON in `state`; such a rollout is read as
 * it is and moves to this layout on its first commit, so an upgraded hub continues it. A
 * rollout in this layout has no `state`: a replica not upgraded yet sees it as absent and
 * never writes it.
 */
export class RolloutStore {
  private readonly eventsCap: number;
  private readonly rolloutsKept: number;

  /** Where the cluster list reads the same assigned revisions in its own Redis call. */
  readonly assignedRevisionSource: AssignedRevisions;

  constructor(private readonly client: RedisClient, readonly keys: HubKeys, options: RolloutStoreOptions = {}) {
    this.assignedRevisionSource = { hash: keys.assignments(), fallback: keys.lastGoodRevision(), revisionOf: assignedRevisionOf };
    this.eventsCap = options.eventsCap ?? 200;
    this.rolloutsKept = options.rolloutsKept ?? 20;
    defineCommands(client);
  }

  /** Stores a new rollout (version 0); refused while another rollout is in progress. */
  create(rollout: Rollout, notices: Notice[] = []): Promise<CommitResult> {
    return this.write(rollout, -1, notices, [], 'all');
  }

  /** Stores a transition computed from the rollout at `fromVersion`. */
  commit(fromVersion: number, transition: Transition): Promise<CommitResult> {
    return this.write(transition.rollout, fromVersion, transition.notices, transition.assignments, transition.changedClusters);
  }

  /** Writes the header, plan and progress of `clusters` ('all': the plan and every cluster). */
  private async write(
    rollout: Rollout, expectedVersion: number, notices: Notice[], assignments: Assignment[], clusters: readonly string[] | 'all',
  ): Promise<CommitResult> {
    const at = rollout.updatedAt;
    const { clusters: progress, plan, ...header } = rollout;
    const written = clusters === 'all' ? Object.keys(progress) : clusters;
    const args = [
      this.keys.rollout(rollout.id), this.keys.rolloutClusters(rollout.id), this.keys.rollouts(), this.keys.activeRollout(),
      this.keys.assignments(), this.keys.lastGoodRevision(), this.keys.rolloutEvents(rollout.id),
      rollout.id, expectedVersion, rollout.version, JSON.stringify(header satisfies StoredHeader), rollout.phase, isTerminal(rollout.phase) ? 1 : 0,
      rollout.revision, rollout.createdAt, rollout.phase === RolloutPhase.Done ? 1 : 0, this.keys.assignmentChannel(), this.eventsCap,
      this.rolloutsKept, this.keys.rollout(''), clusters === 'all' ? JSON.stringify(plan) : '',
      // Lists go as arrays, which ioredis flattens: spread into one call, a 100,000-cluster
      // rollout's arguments would overflow the call stack.
      written.length, written.flatMap((name) => [name, JSON.stringify(progress[name])]),
      notices.length, notices.map((notice) => JSON.stringify({ ...notice, at, rolloutId: rollout.id } satisfies StoredNotice)),
      assignments.length, assignments.flatMap((assignment) => [assignment.cluster, JSON.stringify({ ...assignment, assignedAt: at } satisfies StoredAssignment)]),
    ];
    const run = (this.client as unknown as Record<string, (...values: (string | number | string[])[]) => Promise<number>>)[COMMIT]!;
    const result = Number(await run.call(this.client, ...args));
    if (result === STORED_WHOLE) return this.write(rollout, expectedVersion, notices, assignments, 'all');
    if (result === CommitResult.Committed) await publishLiveChange(this.client, this.keys.liveChannel(), `rollout:${rollout.id}`);
    return result as CommitResult;
  }

  /** The whole rollout: header, plan and every cluster's progress, read in one transaction. */
  async get(id: string): Promise<Rollout | null> {
    const [fields, clusters] = (await execAll(this.client.multi()
      .hmget(this.keys.rollout(id), 'header', 'plan', 'state')
      .hgetall(this.keys.rolloutClusters(id)))) as [(string | null)[], Record<string, string>];
    const [stored, plan, whole] = fields;
    if (!stored || !plan) return whole ? (JSON.parse(whole) as Rollout) : null;
    const header = parseHeader(stored, plan);
    const progress: Record<string, ClusterProgress> = {};
    // In plan order, as the reducer keeps them.
    for (const wave of header.plan.waves) {
      for (const name of wave.clusters) {
        const json = clusters[name];
        if (json !== undefined) progress[name] = JSON.parse(json) as ClusterProgress;
      }
    }
    return { ...header, clusters: progress };
  }

  /** The rollout without its clusters' progress. */
  async header(id: string): Promise<RolloutHeader | null> {
    return headerOf(await this.client.hmget(this.keys.rollout(id), 'header', 'plan', 'state'));
  }

  /** The stored version of a rollout (null when there is none): a copy at this version is up to date. */
  async version(id: string): Promise<number | null> {
    const version = await this.client.hget(this.keys.rollout(id), 'version');
    return version === null ? null : Number(version);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.client.exists(this.keys.rollout(id))) === 1;
  }

  /** Id of the rollout in progress, if any. */
  activeId(): Promise<string | null> {
    return this.client.get(this.keys.activeRollout());
  }

  /** The rollout in progress, if any. */
  async active(): Promise<Rollout | null> {
    const id = await this.activeId();
    return id === null ? null : this.get(id);
  }

  /** Rollouts without their clusters' progress, newest first. */
  async list(options: { offset?: number; limit?: number } = {}): Promise<RolloutHeader[]> {
    const offset = options.offset ?? 0;
    const ids = await this.client.zrevrange(this.keys.rollouts(), offset, offset + (options.limit ?? 50) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.rollout(id), 'header', 'plan', 'state');
    const rows = (await execAll(pipeline)) as (string | null)[][];
    return rows.flatMap((row) => headerOf(row) ?? []);
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
      const revision = assignedRevisionOf(stored[index] ?? null, lastGood);
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

/** A cluster's assigned revision: its stored assignment's, else the last fully rolled-out one. */
function assignedRevisionOf(stored: string | null, lastGood: string | null): string | null {
  return stored ? (JSON.parse(stored) as StoredAssignment).revision : lastGood;
}

function parseHeader(header: string, plan: string): RolloutHeader {
  return { ...(JSON.parse(header) as StoredHeader), plan: JSON.parse(plan) as RolloutPlan };
}

/** The header from the fields `header`, `plan` and `state` (the whole rollout, as an earlier hub stored it). */
function headerOf([header, plan, whole]: (string | null | undefined)[]): RolloutHeader | null {
  if (header && plan) return parseHeader(header, plan);
  if (!whole) return null;
  const { clusters: _clusters, ...rest } = JSON.parse(whole) as Rollout;
  return rest;
}
