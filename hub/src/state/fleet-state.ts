import type { RedisClient } from '@netfleet/shared/redis/connection';
import {
  ClusterState, type ClusterDetail, type ClusterEvent, type ClusterList, type ClusterSummary, type DriftState,
  type LinkSummary, type ReadinessSummary, type SyncReason, type SyncStatus,
} from '@netfleet/shared';
import { isWorkingLinkState, type LinkState } from '@netfleet/shared/protocol/links';
import type { HubKeys } from '../redis/keys.js';
import { execAll } from '../redis/pipeline.js';
import { commandName, defineCommands } from '../redis/script-loader.js';

const READ_HASHES = commandName('read-hashes');
const LIST_CLUSTERS = commandName('list-clusters');

/** Filters of the cluster list; all given ones must match. */
export interface ClusterFilter {
  region?: string;
  /** `key=value` pairs. */
  labels?: string[];
  state?: ClusterState;
  sync?: SyncStatus;
  revision?: string;
  /** Page size. */
  limit: number;
  /** Name of the last cluster of the previous page. */
  cursor?: string;
}

const SUMMARY_FIELDS = ['name', 'region', 'labels', 'state', 'revision', 'syncStatus', 'driftCount', 'lastSeen', 'offlineSince', 'syncReason', 'linkSummary'] as const;

/** Detail fields: everything but the drift and link bodies, which can be large. */
const DETAIL_FIELDS = [
  ...SUMMARY_FIELDS, 'registeredAt', 'keyGeneration', 'agentVersion', 'objects', 'readiness',
  'syncRevision', 'syncError', 'syncAt', 'syncChanges', 'syncDurationMs', 'maxSeq', 'reports',
] as const;

/** What a rollout reads of each cluster on every controller tick. */
const ROLLOUT_FIELDS = ['name', 'state', 'revision', 'readiness', 'driftCount', 'syncRevision', 'syncStatus', 'syncReason', 'syncError', 'syncAt'] as const;

/** A cluster's fields that rollout gates read, without the parts of the detail they do not need. */
export interface RolloutFacts {
  state: ClusterState;
  /** The revision last reported applied ('' before the first sync). */
  revision: string;
  readiness: ReadinessSummary | null;
  driftCount: number;
  sync: { revision: string; status: SyncStatus; reason: SyncReason; error: string; at: number } | null;
}

/** Clusters read per script call by `readHashes`. */
const HASHES_PER_CALL = 1000;

const iso = (ms: string | undefined | null) => (ms ? new Date(Number(ms)).toISOString() : null);

/**
 * Where the rollouts keep each cluster's assigned revision, so the list reads it in its own
 * Redis call.
 */
export interface AssignedRevisions {
  /** Hash: cluster name → what the rollouts stored for it. */
  hash: string;
  /** String: the revision of clusters with nothing stored. */
  fallback: string;
  /** The assigned revision from a cluster's stored value and the fallback; null for none. */
  revisionOf(stored: string | null, fallback: string | null): string | null;
}

/** list-clusters-1.lua's answer: total, more (1 or 0), names, their fields, their stored assignments, the fallback. */
type ListReply = [number, number, string[], (string | null)[], (string | null)[], string | null];

/**
 * Read views of fleet state. Lists read one index (or the intersection of several), never
 * every cluster, and fetch only the page's hashes.
 */
export class FleetState {
  constructor(private readonly redis: RedisClient, private readonly keys: HubKeys) {
    defineCommands(redis);
  }

  /**
   * One page of the list, read in one Redis call (list-clusters-1.lua): the page by name,
   * each cluster's summary and, given where the rollouts keep them, its assigned revision.
   */
  async list(filter: ClusterFilter, assigned?: AssignedRevisions): Promise<ClusterList> {
    const indexes = [
      filter.region === undefined ? undefined : this.keys.index('region', filter.region),
      filter.state === undefined ? undefined : this.keys.index('state', filter.state),
      filter.sync === undefined ? undefined : this.keys.index('sync', filter.sync),
      filter.revision === undefined ? undefined : this.keys.index('revision', filter.revision),
      ...(filter.labels ?? []).map((label) => this.keys.index('label', label)),
    ].filter((key): key is string => key !== undefined);
    const run = this.command<ListReply>(LIST_CLUSTERS);
    const [total, more, names, values, stored, fallback] = await run(
      this.keys.clusters(), this.keys.prefix, filter.limit, filter.cursor ?? '',
      indexes.length, ...indexes, SUMMARY_FIELDS.length, ...SUMMARY_FIELDS, assigned?.hash ?? '', assigned?.fallback ?? '',
    );
    const items: ClusterSummary[] = [];
    names.forEach((_, index) => {
      const row = values.slice(index * SUMMARY_FIELDS.length, (index + 1) * SUMMARY_FIELDS.length);
      // A name an index still holds for a cluster whose hash is gone is left out.
      if (!row[0]) return;
      const summary = toSummary(row);
      const revision = assigned?.revisionOf(stored[index] ?? null, fallback);
      items.push(revision ? { ...summary, assignedRevision: revision } : summary);
    });
    return { items, nextCursor: more === 1 && names.length > 0 ? names[names.length - 1]! : null, total };
  }

  async exists(name: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cluster(name))) === 1;
  }

  async detail(name: string): Promise<ClusterDetail | undefined> {
    const values = await this.redis.hmget(this.keys.cluster(name), ...DETAIL_FIELDS);
    const hash: Partial<Record<(typeof DETAIL_FIELDS)[number], string>> = {};
    DETAIL_FIELDS.forEach((field, index) => {
      if (values[index] !== null && values[index] !== undefined) hash[field] = values[index];
    });
    if (!hash.name) return undefined;
    const summary = toSummary(SUMMARY_FIELDS.map((field) => hash[field] ?? null));
    return {
      ...summary,
      registeredAt: iso(hash.registeredAt)!,
      keyGeneration: Number(hash.keyGeneration ?? 1),
      agentVersion: hash.agentVersion ?? '',
      objects: Number(hash.objects ?? 0),
      readiness: hash.readiness ? (JSON.parse(hash.readiness) as ReadinessSummary) : null,
      sync: hash.syncStatus ? {
        revision: hash.syncRevision ?? '',
        status: hash.syncStatus as SyncStatus,
        reason: hash.syncReason as SyncReason,
        error: hash.syncError ?? '',
        at: iso(hash.syncAt)!,
        changes: JSON.parse(hash.syncChanges ?? '{}') as Record<string, number>,
        ...(hash.syncDurationMs ? { durationMs: Number(hash.syncDurationMs) } : {}),
      } : null,
      lastSeq: Number(hash.maxSeq ?? 0),
      reports: Number(hash.reports ?? 0),
      ...(hash.linkSummary ? { links: JSON.parse(hash.linkSummary) as LinkSummary } : {}),
    };
  }

  /** The rollout facts of many clusters; clusters no longer registered are left out. */
  async rolloutFacts(names: readonly string[]): Promise<Map<string, RolloutFacts>> {
    const values = await this.readHashes(ROLLOUT_FIELDS, names);
    const facts = new Map<string, RolloutFacts>();
    names.forEach((name, index) => {
      const [registered, state, revision, readiness, driftCount, syncRevision, syncStatus, syncReason, syncError, syncAt] =
        values.slice(index * ROLLOUT_FIELDS.length, (index + 1) * ROLLOUT_FIELDS.length);
      if (!registered) return;
      facts.set(name, {
        state: (state ?? ClusterState.Registered) as ClusterState,
        revision: revision ?? '',
        readiness: readiness ? (JSON.parse(readiness) as ReadinessSummary) : null,
        driftCount: Number(driftCount ?? 0),
        sync: syncStatus ? {
          revision: syncRevision ?? '', status: syncStatus as SyncStatus, reason: syncReason as SyncReason, error: syncError ?? '', at: Number(syncAt ?? 0),
        } : null,
      });
    });
    return facts;
  }

  /**
   * `fields` of each named cluster's hash, one flat list in order (nil where absent), read
   * HASHES_PER_CALL clusters per script call (read-hashes-1.lua: a command per cluster would
   * cost the client more than Redis), all calls sent at once so the read takes one round trip.
   */
  private async readHashes(fields: readonly string[], names: readonly string[]): Promise<(string | null)[]> {
    const run = this.command<(string | null)[]>(READ_HASHES);
    const calls: Promise<(string | null)[]>[] = [];
    for (let start = 0; start < names.length; start += HASHES_PER_CALL) {
      const keys = names.slice(start, start + HASHES_PER_CALL).map((name) => this.keys.cluster(name));
      calls.push(run(this.keys.clusters(), fields.length, ...fields, ...keys));
    }
    return (await Promise.all(calls)).flat();
  }

  /** A Lua command defined on the connection, bound to it. */
  private command<T>(name: string): (...args: (string | number)[]) => Promise<T> {
    const run = (this.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<T>>)[name]!;
    return run.bind(this.redis);
  }

  async drift(name: string): Promise<DriftState | undefined> {
    const [exists, drift] = await this.redis.hmget(this.keys.cluster(name), 'name', 'drift');
    if (!exists) return undefined;
    if (!drift) return { cluster: name, revision: '', items: [], truncated: false, updatedAt: null };
    const parsed = JSON.parse(drift) as Omit<DriftState, 'cluster' | 'updatedAt'> & { updatedAt: number };
    return { cluster: name, revision: parsed.revision, items: parsed.items, truncated: parsed.truncated, updatedAt: iso(String(parsed.updatedAt)) };
  }

  /** Newest first. */
  async events(name: string, limit: number): Promise<ClusterEvent[]> {
    const raw = await this.redis.lrange(this.keys.events(name), 0, limit - 1);
    return raw.map((line) => {
      const event = JSON.parse(line) as Omit<ClusterEvent, 'time'> & { time: number };
      return { ...event, time: new Date(event.time).toISOString() };
    });
  }

  async clustersByState(): Promise<Record<string, number>> {
    const states = Object.values(ClusterState);
    const pipeline = this.redis.pipeline();
    for (const state of states) pipeline.zcard(this.keys.index('state', state));
    const counts = await execAll(pipeline);
    return Object.fromEntries(states.map((state, index) => [state, Number(counts[index] ?? 0)]));
  }
}

function toSummary(row: (string | null)[]): ClusterSummary {
  const [name, region, labels, state, revision, syncStatus, driftCount, lastSeen, offlineSince, syncReason, linkSummary] = row;
  const links = linkSummary ? (JSON.parse(linkSummary) as LinkSummary) : undefined;
  return {
    name: name!,
    region: region ?? '',
    labels: labels ? (JSON.parse(labels) as Record<string, string>) : {},
    state: (state ?? ClusterState.Registered) as ClusterState,
    revision: revision ?? '',
    syncStatus: (syncStatus ?? '') as SyncStatus | '',
    driftCount: Number(driftCount ?? 0),
    lastSeen: iso(lastSeen),
    offlineSince: iso(offlineSince),
    ...(syncReason ? { syncReason: syncReason as SyncReason } : {}),
    ...(links ? { linkHealth: { total: links.total, failing: failingLinks(links) } } : {}),
  };
}

/** Links in a state that does not carry traffic (pending ones are on their way, not failing). */
function failingLinks(summary: LinkSummary): number {
  return Object.entries(summary.byState).reduce((sum, [state, count]) => sum + (isWorkingLinkState(state as LinkState) ? 0 : count), 0);
}
