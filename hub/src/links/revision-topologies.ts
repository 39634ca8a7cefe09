import type { Logger } from '@netfleet/shared';
import type { FleetTopologyInput } from './expected-links.js';

/**
 * The mesh groups and inventory of each fleet repository revision the clusters run, so
 * each cluster's expected links come from its own applied revision. The head is set by the
 * repository follower; the other revisions in use are loaded in the background, one at a
 * time (a git fetch may take seconds; link passes never wait for it), retried with backoff
 * when loading fails. A small cache: the least recently used revisions no cluster runs go
 * first, and the head is always kept. Revisions that declare the same topology share one
 * object, so a commit that does not touch mesh groups or the inventory changes nothing
 * downstream.
 */

/** Loads the fleet repository at a revision. */
export type FleetLoader = (revision: string) => Promise<FleetTopologyInput>;

export interface RevisionTopologiesOptions {
  /**
   * Revisions kept loaded, the head included.
   * @defaultValue 8
   */
  capacity?: number;
  /**
   * Wait before retrying a revision that failed to load, in ms; doubles per failure.
   * @defaultValue 5000
   */
  retryMs?: number;
  /**
   * Longest wait between retries, in ms.
   * @defaultValue 300000
   */
  maxRetryMs?: number;
}

/** Agents report the commit they applied; anything else cannot be fetched. */
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

interface Loaded {
  topology: FleetTopologyInput;
  /** Equal for revisions that declare the same mesh groups and inventory. */
  signature: string;
}

export class RevisionTopologies {
  readonly #options: Required<RevisionTopologiesOptions>;
  #load: FleetLoader | undefined;
  #head: { revision: string; topology: FleetTopologyInput } | undefined;
  /** Loaded revisions, least recently used first. */
  readonly #loaded = new Map<string, Loaded>();
  readonly #failures = new Map<string, { count: number; retryAt: number }>();
  #inUse: ReadonlySet<string> = new Set();
  #loading: Promise<void> | undefined;
  #closed = false;
  /** Whether the last load skipped for want of room was logged. */
  #fullLogged = false;

  constructor(
    private readonly onLoaded: (revision: string) => void,
    private readonly logger: Logger,
    options: RevisionTopologiesOptions = {},
  ) {
    this.#options = { capacity: 8, retryMs: 5_000, maxRetryMs: 300_000, ...options };
  }

  /** From now on, revisions in use that are not loaded are loaded with `load`. */
  loadWith(load: FleetLoader): void {
    this.#load = load;
    this.#next();
  }

  /** The branch head: always kept; clusters on a revision not loaded are judged by it. */
  setHead(revision: string, fleet: FleetTopologyInput): void {
    const topology = this.#store(revision, fleet);
    this.#head = { revision, topology };
    this.#failures.delete(revision);
    this.#evict();
  }

  get head(): { revision: string; topology: FleetTopologyInput } | undefined {
    return this.#head;
  }

  /** The topology at `revision` when it is loaded (the same object for revisions that declare the same). */
  topologyOf(revision: string): FleetTopologyInput | undefined {
    const loaded = this.#loaded.get(revision);
    if (!loaded) return undefined;
    this.#loaded.delete(revision);
    this.#loaded.set(revision, loaded);
    return loaded.topology;
  }

  /** The revisions clusters run now: the missing ones are loaded in the background. */
  use(revisions: Iterable<string>, now = Date.now()): void {
    this.#inUse = new Set([...revisions].filter((revision) => COMMIT_ID.test(revision)));
    for (const revision of this.#failures.keys()) if (!this.#inUse.has(revision)) this.#failures.delete(revision);
    this.#next(now);
  }

  /** Starts no more loads and waits for the one under way. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#loading;
  }

  /** Loads the next revision in use that is missing and due, unless a load is under way. */
  #next(now = Date.now()): void {
    const load = this.#load;
    if (this.#loading || this.#closed || !load) return;
    const revision = [...this.#inUse].find((candidate) => !this.#loaded.has(candidate) && (this.#failures.get(candidate)?.retryAt ?? 0) <= now);
    if (!revision) return;
    if (!this.#hasRoom()) {
      if (!this.#fullLogged) {
        this.logger.warn({ revision, capacity: this.#options.capacity }, 'more fleet revisions in use than link health keeps; clusters on the others are judged by the head');
      }
      this.#fullLogged = true;
      return;
    }
    this.#fullLogged = false;
    this.#loading = this.#fetch(load, revision).finally(() => {
      this.#loading = undefined;
      this.#next();
    });
  }

  async #fetch(load: FleetLoader, revision: string): Promise<void> {
    const started = Date.now();
    try {
      this.#store(revision, await load(revision));
      this.#failures.delete(revision);
      this.#evict();
      this.logger.info({ revision, ms: Date.now() - started }, 'fleet revision loaded for link health');
    } catch (error) {
      const count = (this.#failures.get(revision)?.count ?? 0) + 1;
      const retryInMs = Math.min(this.#options.retryMs * 2 ** (count - 1), this.#options.maxRetryMs);
      this.#failures.set(revision, { count, retryAt: Date.now() + retryInMs });
      this.logger.warn({ revision, err: error instanceof Error ? error.message : String(error), failures: count, retryInMs },
        'cannot load a fleet revision clusters run; their links are judged by the head until it loads');
      return;
    }
    try {
      this.onLoaded(revision);
    } catch (error) {
      this.logger.warn({ revision, err: error instanceof Error ? error.message : String(error) }, 'applying a loaded fleet revision to link health failed');
    }
  }

  #store(revision: string, fleet: FleetTopologyInput): FleetTopologyInput {
    const topology = topologyPart(fleet);
    const signature = JSON.stringify([
      topology.meshGroups.map((group) => [group.name, group.type, [...new Set(group.members)].sort()]).sort(),
      [...topology.clusters.values()].map((cluster) => [cluster.name, cluster.region, cluster.publicDomain]).sort(),
    ]);
    const same = [...this.#loaded.values()].find((loaded) => loaded.signature === signature);
    const loaded = { topology: same?.topology ?? topology, signature };
    this.#loaded.delete(revision);
    this.#loaded.set(revision, loaded);
    return loaded.topology;
  }

  #evictable(revision: string): boolean {
    return revision !== this.#head?.revision && !this.#inUse.has(revision);
  }

  #hasRoom(): boolean {
    return this.#loaded.size < this.#options.capacity || [...this.#loaded.keys()].some((revision) => this.#evictable(revision));
  }

  /** Drops the least recently used revisions no cluster runs while over capacity. */
  #evict(): void {
    for (const revision of [...this.#loaded.keys()]) {
      if (this.#loaded.size <= this.#options.capacity) return;
      if (this.#evictable(revision)) this.#loaded.delete(revision);
    }
  }
}

/** Only what link health reads of a loaded fleet (its documents and manifests are left to the collector). */
function topologyPart(fleet: FleetTopologyInput): FleetTopologyInput {
  return {
    meshGroups: fleet.meshGroups.map(({ name, type, members }) => ({ name, type, members: [...members] })),
    clusters: new Map([...fleet.clusters.values()].map(({ name, region, publicDomain }) => [name, { name, region, publicDomain }])),
  };
}
