/**
 * Object storage with etcd's resourceVersion semantics: one global revision counter, every
 * write gets the next one; a per-resource window of recent events (the watch cache) from
 * which watches resume, older starting points being "too old" (410 Gone).
 */
import { metadataOf, type JsonObject } from './json.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  type: WatchEventType;
  resourceVersion: number;
  object: JsonObject;
  /** The object before the change (MODIFIED), for selector transitions. */
  previous?: JsonObject;
}

type Listener = (event: StoredEvent) => void;

interface ResourceBucket {
  objects: Map<string, JsonObject>;
  events: StoredEvent[];
  /** The revision of the newest event that fell out of the window. */
  evictedUpTo: number;
  listeners: Set<Listener>;
}

export class ObjectStore {
  private revision = 1;
  private readonly buckets = new Map<string, ResourceBucket>();

  constructor(private readonly watchCacheSize: number) {}

  currentRevision(): number {
    return this.revision;
  }

  private bucket(resource: string): ResourceBucket {
    let bucket = this.buckets.get(resource);
    if (!bucket) {
      bucket = { objects: new Map(), events: [], evictedUpTo: 0, listeners: new Set() };
      this.buckets.set(resource, bucket);
    }
    return bucket;
  }

  get(resource: string, namespace: string, name: string): JsonObject | undefined {
    return this.bucket(resource).objects.get(objectKey(namespace, name));
  }

  /** Objects sorted by namespace and name (the order etcd keys list in). */
  list(resource: string, namespace?: string): JsonObject[] {
    const entries = [...this.bucket(resource).objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.map(([, object]) => object).filter((object) => namespace === undefined || metadataOf(object).namespace === namespace);
  }

  /** Stores a created or updated object under the next revision and notifies watchers. */
  put(resource: string, object: JsonObject): JsonObject {
    const bucket = this.bucket(resource);
    const metadata = metadataOf(object);
    const key = objectKey(String(metadata.namespace ?? ''), String(metadata.name));
    const previous = bucket.objects.get(key);
    this.revision += 1;
    metadata.resourceVersion = String(this.revision);
    bucket.objects.set(key, object);
    this.record(bucket, { type: previous ? 'MODIFIED' : 'ADDED', resourceVersion: this.revision, object, ...(previous ? { previous } : {}) });
    return object;
  }

  remove(resource: string, object: JsonObject): JsonObject {
    const bucket = this.bucket(resource);
    const metadata = metadataOf(object);
    bucket.objects.delete(objectKey(String(metadata.namespace ?? ''), String(metadata.name)));
    this.revision += 1;
    const deleted = structuredClone(object);
    metadataOf(deleted).resourceVersion = String(this.revision);
    this.record(bucket, { type: 'DELETED', resourceVersion: this.revision, object: deleted });
    return deleted;
  }

  private record(bucket: ResourceBucket, event: StoredEvent): void {
    bucket.events.push(event);
    while (bucket.events.length > this.watchCacheSize) bucket.evictedUpTo = bucket.events.shift()!.resourceVersion;
    for (const listener of bucket.listeners) listener(event);
  }

  /**
   * Events after `resourceVersion` and a subscription to the ones to come; `undefined` when
   * the window no longer reaches back that far (the caller answers 410 Gone).
   */
  eventsSince(resource: string, resourceVersion: number): StoredEvent[] | undefined {
    const bucket = this.bucket(resource);
    if (resourceVersion < bucket.evictedUpTo) return undefined;
    return bucket.events.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** The oldest revision a watch on this resource can still start from. */
  oldestResumable(resource: string): number {
    return this.bucket(resource).evictedUpTo;
  }

  subscribe(resource: string, listener: Listener): () => void {
    const { listeners } = this.bucket(resource);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }
}

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
