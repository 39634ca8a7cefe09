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

/** One page of the cluster list by name, before its clusters' state is read. */
export interface ClusterPage {
  names: string[];
  nextCursor: string | null;
  total: number;
}

/**
 * Read views of fleet state. Lists read one index (or the intersection of several), never
 * every cluster, and fetch only the page's hashes.
 */
export class FleetState {
  constructor(private readonly redis: RedisClient, private readonly keys: HubKeys) {
    defineCommands(redis);
  }

  async list(filter: ClusterFilter): Promise<ClusterList> {
    const page = await this.page(filter);
    return { items: await this.summaries(page.names), nextCursor: page.nextCursor, total: page.total };
  }

  /**
   * The names of one page of the list, without their state: a caller that reads more of each
   * cluster (the API: assigned revisions) reads it beside `summaries`, not after.
   */
  async page(filter: ClusterFilter): Promise<ClusterPage> {
    const indexes = [
      filter.region === undefined ? undefined : this.keys.index('region', filter.region),
      filter.state === undefined ? undefined : this.keys.index('state', filter.state),
      filter.sync === undefined ? undefined : this.keys.index('sync', filter.sync),
      filter.revision === undefined ? undefined : this.keys.index('revision', filter.revision),
      ...(filter.labels ?? []).map((label) => this.keys.index('label', label)),
    ].filter((key): key is string => key !== undefined);

    let names: string[];
    let total: number;
    if (indexes.length <= 1) {
      // One sorted set (all clusters or one index): page by name without reading the rest.
      const key = indexes[0] ?? this.keys.clusters();
      const start = filter.cursor ? `(${filter.cursor}` : '-';
      const [count, range] = (await execAll(this.redis.pipeline()
        .zcard(key)
        .zrangebylex(key, start, '+', 'LIMIT', 0, filter.limit + 1))) as [number, string[]];
      total = count;
      names = range;
    } else {
      // Scores are all 0, so the intersection comes back ordered by name.
      const matching = await this.redis.zinter(indexes.length, ...indexes);
      total = matching.length;
      names = (filter.cursor ? matching.filter((name) => name > filter.cursor!) : matching).slice(0, filter.limit + 1);
    }
    const more = names.length > filter.limit;
    const page = names.slice(0, filter.limit);
    return { names: page, nextCursor: more ? page[page.length - 1]! : null, total };
  }

  /** The list's view of each named cluster, in order; a cluster no longer registered is left out. */
  async summaries(names: readonly string[]): Promise<ClusterSummary[]> {
    if (names.length === 0) return [];
    const values = await this.readHashes(SUMMARY_FIELDS, names);
    const rows = names.map((_, index) => values.slice(index * SUMMARY_FIELDS.length, (index + 1) * SUMMARY_FIELDS.length));
    return rows.filter((row) => row[0]).map(toSummary);
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
    const run = (this.redis as unknown as Record<string, (...values: (string | number)[]) => Promise<(string | null)[]>>)[READ_HASHES]!;
    const calls: Promise<(string | null)[]>[] = [];
    for (let start = 0; start < names.length; start += HASHES_PER_CALL) {
      const keys = names.slice(start, start + HASHES_PER_CALL).map((name) => this.keys.cluster(name));
      calls.push(run.call(this.redis, this.keys.clusters(), fields.length, ...fields, ...keys));
    }
    return (await Promise.all(calls)).flat();
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
