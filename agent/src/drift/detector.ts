import {
  refOf,
  type DriftItem, type KubeObject, type Logger, type RenderedObject,
} from '@netfleet/shared';
import type { AgentEvents } from '../events.js';
import type { KubeClient } from '../kube/client.js';
import type { ServedKind } from '../kube/discovery.js';
import { defaultRetryOptions } from '../kube/retry.js';
import { kindKey, pathOf } from '../ssa/apply.js';
import { alignIgnored, driftedFields } from '../ssa/diff.js';
import { driftPolicy } from '../ssa/ownership.js';
import type { AppliedMemo } from '../ssa/memo.js';
import { FightTracker, defaultFightOptions, managersOf, type FightDecision, type FightOptions } from './fight.js';
import { KeyedQueue } from './key-queue.js';
import { KindWatcher } from './watcher.js';

/** How drift is watched for and handled. */
export interface DriftOptions {
  /**
   * Period of the full resync (a fresh list of every managed kind), in milliseconds.
   * @defaultValue 300000
   */
  resyncIntervalMs: number;
  /**
   * Overrides every object's drift policy: `correct` re-applies at once, `alert` only
   * reports. Unset follows each document's policy.
   */
  mode?: 'correct' | 'alert';
  /**
   * Delay between relists after a watch fails, growing exponentially with jitter.
   * @defaultValue 200
   */
  watchBackoffMs: number;
  /** Backing off from another controller that keeps reverting the same fields. @defaultValue {@link defaultFightOptions} */
  fight: FightOptions;
}

export function defaultDriftOptions(overrides: Partial<DriftOptions> = {}): DriftOptions {
  return { resyncIntervalMs: 300_000, watchBackoffMs: 200, ...overrides, fight: defaultFightOptions(overrides.fight) };
}

/**
 * Keeps the cluster in line with the last sync: one watcher per managed kind plus a
 * periodic full resync. Each changed object is checked (serialised per object) by a
 * server-side dry-run apply of its desired state compared with the live object, so
 * defaults and fields others own are never drift. Syncs pause checking (`exclusive`),
 * so a check never corrects towards a desired state that is being replaced.
 */
export class DriftDetector {
  readonly #queue = new KeyedQueue();
  readonly #watchers = new Map<string, KindWatcher>();
  readonly #drift = new Map<string, DriftItem>();
  #desired = new Map<string, RenderedObject>();
  /** True while a sync runs: checks are skipped, and all run again after it. */
  #paused = false;
  #resyncTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #fights: FightTracker;
  /** Corrections held back by a fight, by object id. */
  readonly #held = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly client: KubeClient,
    private readonly memo: AppliedMemo,
    private readonly events: AgentEvents,
    private readonly logger: Logger,
    private readonly options: DriftOptions,
  ) {
    this.#fights = new FightTracker(options.fight);
  }

  /** The current drift, one item per drifted object. */
  get items(): DriftItem[] {
    return [...this.#drift.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * Runs `sync` with drift checks paused, then watches and checks what it left as
   * desired (`undefined` keeps the previous desired state, e.g. after a failed fetch).
   */
  async exclusive<T>(sync: () => Promise<T>, desiredAfter: (result: T) => RenderedObject[] | undefined): Promise<T> {
    this.#paused = true;
    try {
      await this.#queue.idle();
      const result = await sync();
      const desired = desiredAfter(result);
      if (desired) await this.#setDesired(desired);
      return result;
    } finally {
      this.#paused = false;
      // Watch events that arrived during the sync were skipped; the memo makes this cheap.
      for (const id of this.#desired.keys()) void this.#check(id);
    }
  }

  /** Starts the periodic resync; watchers start with the first desired state. */
  start(): void {
    this.#scheduleResync();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#resyncTimer);
    for (const timer of this.#held.values()) clearTimeout(timer);
    this.#held.clear();
    for (const watcher of this.#watchers.values()) watcher.stop();
    this.#watchers.clear();
  }

  /** Relists every managed kind and checks every desired object. */
  async resync(): Promise<void> {
    await Promise.all([...this.#watchers.values()].map((watcher) => watcher.resync()));
    await Promise.all([...this.#desired.keys()].map((id) => this.#check(id)));
  }

  /** True once every managed kind has been listed by its watcher. */
  get synced(): boolean {
    return [...this.#watchers.values()].every((watcher) => watcher.synced);
  }

  /** Resolves when every check scheduled so far has run. */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  async #setDesired(objects: RenderedObject[]): Promise<void> {
    this.#desired = new Map(objects.map((object) => [object.id, object]));
    for (const id of [...this.#drift.keys()]) {
      if (!this.#desired.has(id)) this.#resolve(id);
    }
    for (const id of [...this.#held.keys()]) {
      if (this.#desired.has(id)) continue;
      clearTimeout(this.#held.get(id));
      this.#held.delete(id);
      this.#fights.forget(id);
    }
    const kinds = new Map<string, ServedKind>();
    for (const { object } of objects) {
      // A kind that cannot be looked up now is watched after the next sync.
      const served = await this.client.discovery.find(object.apiVersion, object.kind).catch(() => undefined);
      if (served) kinds.set(kindKey(object), served);
    }
    for (const [key, watcher] of this.#watchers) {
      if (!kinds.has(key)) {
        watcher.stop();
        this.#watchers.delete(key);
      }
    }
    for (const [key, kind] of kinds) {
      if (this.#watchers.has(key) || this.#stopped) continue;
      const backoff = { ...defaultRetryOptions(), baseDelayMs: this.options.watchBackoffMs };
      const watcher = new KindWatcher(this.client, kind, (id) => void this.#check(id), this.logger, backoff, () => this.#checkKind(key));
      this.#watchers.set(key, watcher);
      watcher.start();
    }
  }

  #checkKind(key: string): void {
    for (const [id, desired] of this.#desired) {
      if (kindKey(desired.object) === key) void this.#check(id);
    }
  }

  #check(id: string): Promise<void> {
    if (!this.#desired.has(id) || this.#stopped) return Promise.resolve();
    return this.#queue.run(id, async () => {
      if (this.#paused) return;
      const desired = this.#desired.get(id);
      const watcher = desired && this.#watchers.get(kindKey(desired.object));
      if (!desired || !watcher?.synced) return;
      try {
        await this.#compare(desired, watcher.get(id));
      } catch (error) {
        // A failed check is retried by the next event or resync; it never stops the agent.
        this.logger.warn({ object: id, err: error instanceof Error ? error.message : String(error) }, 'drift check failed');
      }
    });
  }

  async #compare(desired: RenderedObject, live: KubeObject | undefined): Promise<void> {
    const { id } = desired;
    const policy = driftPolicy(desired.policy, this.options.mode);
    const subject = refOf(desired.object);
    if (!live) {
      await this.#drifted({ id, subject, type: 'deleted', fields: [], policy }, desired);
      return;
    }
    const resourceVersion = live.metadata.resourceVersion as string | undefined;
    if (this.memo.inSync(id, desired.hash, resourceVersion)) {
      this.#resolve(id);
      return;
    }
    // Forced, like Flux: shows the object as netfleet's apply would leave it, even where
    // another manager has taken a field over.
    const object = alignIgnored(desired.object, live, desired.policy.ignore);
    const dryRun = await this.client.apply(object, { force: true, dryRun: true });
    const fields = driftedFields(dryRun, live, desired.policy.ignore);
    if (fields.length === 0) {
      this.memo.remember(id, desired.hash, resourceVersion);
      this.#resolve(id);
      return;
    }
    await this.#drifted({ id, subject, type: 'changed', fields, policy }, desired, object);
  }

  async #drifted(detected: DriftItem, desired: RenderedObject, object: KubeObject = desired.object): Promise<void> {
    const log = this.logger.child({ object: detected.id });
    const paths = detected.fields.map((field) => field.path);
    if (detected.policy !== 'correct') {
      log.warn({ type: detected.type, fields: paths }, 'drift detected');
      this.#record(detected);
      return;
    }
    const decision = this.#fights.decide(detected.id, detected.fields, Date.now());
    const item = decision.streak > 0 ? await this.#fighting(detected, desired, decision) : detected;
    if (decision.waitMs > 0) {
      // Another controller keeps reverting these fields: correct later, not in a tight loop.
      log.warn({ fields: paths, fightingWith: item.fightingWith, waitMs: decision.waitMs }, 'drift correction held back: fighting another field manager');
      this.#record(item);
      this.#holdCorrection(detected.id, decision.waitMs);
      return;
    }
    log.info({ type: item.type, fields: paths, ...(item.fightingWith ? { fightingWith: item.fightingWith } : {}) }, 'drift detected, correcting');
    this.#record(item);
    const applied = await this.client.apply(object, { force: true });
    this.#fights.corrected(item.id, item.fields, decision.streak, Date.now());
    this.memo.remember(item.id, desired.hash, applied.metadata.resourceVersion as string | undefined);
    this.events.emit('drift-corrected', item);
    // A fight is counted once, when it starts.
    if (decision.streak === 1) this.events.emit('drift-fight', item);
    this.#resolve(item.id);
  }

  /** The drift item of a fight: which managers revert the fields, and how often. */
  async #fighting(item: DriftItem, desired: RenderedObject, decision: FightDecision): Promise<DriftItem> {
    // The watcher keeps no managedFields: read them once, only for a fight.
    const live = await this.client.get(pathOf(desired.object));
    const managers = live ? managersOf(live, item.fields, this.client.fieldManager) : [];
    const who = managers.length > 0 ? managers.map((manager) => `"${manager}"`).join(', ') : 'another field manager';
    const next = decision.waitMs > 0 ? `next correction in ${Math.ceil(decision.waitMs / 1000)} s` : 'corrected again';
    return {
      ...item,
      fightingWith: managers,
      message: `fighting with manager ${who} over ${item.fields.map((field) => field.path).join(', ')}: corrected ${decision.streak + 1} times in a row; ${next}`,
    };
  }

  #holdCorrection(id: string, waitMs: number): void {
    if (this.#held.has(id) || this.#stopped) return;
    this.#held.set(id, setTimeout(() => {
      this.#held.delete(id);
      void this.#check(id);
    }, waitMs));
  }

  #record(item: DriftItem): void {
    const known = this.#drift.get(item.id);
    if (known && JSON.stringify(known) === JSON.stringify(item)) return;
    this.#drift.set(item.id, item);
    this.events.emit('drift-detected', this.items);
  }

  #resolve(id: string): void {
    if (!this.#drift.delete(id)) return;
    this.events.emit('drift-resolved', [id]);
  }

  #scheduleResync(): void {
    if (this.#stopped) return;
    this.#resyncTimer = setTimeout(() => {
      void this.resync()
        .catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'resync failed'))
        .finally(() => this.#scheduleResync());
    }, this.options.resyncIntervalMs);
  }
}

