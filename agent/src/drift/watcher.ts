import { objectId, refOf, type KubeObject, type Logger } from '@netfleet/shared';
import type { KubeClient } from '../kube/client.js';
import { backoffDelay, type RetryOptions } from '../kube/retry.js';
import type { ServedKind } from '../kube/discovery.js';
import { OWNER_SELECTOR } from '../ssa/apply.js';

/** Called with the inventory id of each object that was added, changed or deleted. */
export type ChangeHandler = (id: string) => void;

/**
 * Keeps a live copy of netfleet's objects of one kind: lists, then watches from the
 * list's resourceVersion; when the watch ends (cut, expired, error) it relists after a
 * jittered backoff and reports what changed meanwhile (`onListed` after each list, so
 * objects deleted while nobody watched are noticed too). Never throws: failures are
 * logged and retried.
 */
export class KindWatcher {
  readonly #objects = new Map<string, KubeObject>();
  #resourceVersion = '';
  #request: AbortController | undefined;
  /** Bumped whenever the current watch is abandoned, so its late end is ignored. */
  #generation = 0;
  #stopped = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #synced = false;

  constructor(
    private readonly client: KubeClient,
    readonly kind: ServedKind,
    private readonly onChange: ChangeHandler,
    private readonly logger: Logger,
    private readonly backoff: RetryOptions,
    private readonly onListed: () => void,
  ) {}

  /** Starts listing and watching in the background. */
  start(): void {
    void this.#relist();
  }

  /** True once a list succeeded: before that, a missing object proves nothing. */
  get synced(): boolean {
    return this.#synced;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abandonWatch();
  }

  /** The live object as last seen, or undefined when it does not exist. */
  get(id: string): KubeObject | undefined {
    return this.#objects.get(id);
  }

  /** Lists again now (the periodic full resync) and reports differences. */
  async resync(): Promise<void> {
    if (this.#stopped) return;
    this.#abandonWatch();
    await this.#relist();
  }

  async #relist(): Promise<void> {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    try {
      const list = await this.client.list(this.kind.apiVersion, this.kind.kind, OWNER_SELECTOR);
      const seen = new Set<string>();
      for (const object of list.items) {
        const id = objectId(refOf(object));
        seen.add(id);
        this.#store(id, object);
      }
      for (const id of [...this.#objects.keys()]) {
        if (!seen.has(id)) {
          this.#objects.delete(id);
          this.onChange(id);
        }
      }
      this.#resourceVersion = list.resourceVersion;
      this.#failures = 0;
      this.#synced = true;
      this.onListed();
      await this.#watch();
    } catch (error) {
      this.#retryLater(error);
    }
  }

  #store(id: string, object: KubeObject): void {
    const known = this.#objects.get(id);
    // managedFields are never compared and are often the largest part of an object.
    const { managedFields: _managedFields, ...metadata } = object.metadata;
    const stored = { ...object, metadata };
    this.#objects.set(id, stored);
    if (!known || changedForDrift(known, stored)) this.onChange(id);
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const path = await this.client.collectionPath(this.kind.apiVersion, this.kind.kind);
    const generation = this.#generation;
    const request = await this.client.watch(path, { resourceVersion: this.#resourceVersion, labelSelector: OWNER_SELECTOR }, (type, object) => {
      if (generation !== this.#generation || type === 'ERROR' || !object?.metadata) return;
      if (object.metadata.resourceVersion) this.#resourceVersion = object.metadata.resourceVersion as string;
      if (type === 'BOOKMARK') return;
      const id = objectId(refOf({ ...object, apiVersion: this.kind.apiVersion, kind: this.kind.kind }));
      if (type === 'DELETED') {
        this.#objects.delete(id);
        this.onChange(id);
      } else {
        this.#store(id, { ...object, apiVersion: this.kind.apiVersion, kind: this.kind.kind });
      }
    }, (error) => {
      if (generation !== this.#generation) return;
      this.#generation++;
      // A watch that ends is normal (server timeout, cut connection): relist and go on.
      // The relist also catches anything missed while the watch was down.
      this.#retryLater(error ?? undefined);
    });
    if (generation === this.#generation) this.#request = request;
    else request.abort();
  }

  #abandonWatch(): void {
    this.#generation++;
    this.#request?.abort();
    this.#request = undefined;
  }

  #retryLater(error: unknown): void {
    if (this.#stopped) return;
    if (error) {
      this.#failures++;
      this.logger.warn({ kind: this.kind.kind, err: error instanceof Error ? error.message : String(error) }, 'watch failed, relisting');
    }
    const delay = error ? backoffDelay(this.#failures, this.backoff) : backoffDelay(0, this.backoff);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#relist(), delay);
  }
}

/**
 * True when a new version of an object can hold drift. A kind that keeps
 * `metadata.generation` bumps it on every change but to metadata and status, so an event
 * with the same generation, labels and annotations is a status update (or another
 * manager's bookkeeping) and needs no dry run; kinds without a generation (ConfigMap,
 * Secret) count every new resourceVersion.
 */
export function changedForDrift(known: KubeObject, next: KubeObject): boolean {
  if (known.metadata.resourceVersion === next.metadata.resourceVersion) return false;
  const generation = next.metadata.generation;
  if (generation === undefined || known.metadata.generation !== generation) return true;
  return JSON.stringify(sorted(known.metadata.labels)) !== JSON.stringify(sorted(next.metadata.labels))
    || JSON.stringify(sorted(known.metadata.annotations)) !== JSON.stringify(sorted(next.metadata.annotations));
}

function sorted(map: Record<string, string> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
}
