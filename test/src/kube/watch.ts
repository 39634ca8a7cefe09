/**
 * Watch streams the way kube-apiserver's watch cache serves them: newline-delimited JSON
 * events, synthetic ADDED events for the current state when no resourceVersion is given,
 * resumption from a resourceVersion inside the cache window, an ERROR event with a 410
 * `Expired` Status when it is older, BOOKMARK events on request, and `timeoutSeconds`.
 */
import type { ServerResponse } from 'node:http';
import { metadataOf, type JsonObject } from './json.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';
import type { ObjectStore, StoredEvent } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  query: URLSearchParams;
  /** Presents a stored object at the requested version. */
  present: (object: JsonObject) => JsonObject;
}

export interface WatchSettings {
  /** How often a stream that asked for bookmarks gets one. */
  bookmarkIntervalMs: number;
}

/** Serves a watch on an open response; returns a function that ends it. */
export function serveWatch(response: ServerResponse, store: ObjectStore, request: WatchRequest, settings: WatchSettings): () => void {
  const labels = parseLabelSelector(request.query.get('labelSelector'));
  const fields = parseFieldSelector(request.query.get('fieldSelector'));
  const key = storageKey(request.type);
  const inScope = (object: JsonObject | undefined) =>
    object !== undefined
    && (request.namespace === undefined || metadataOf(object).namespace === request.namespace)
    && labels(object) && fields(object);

  response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  response.flushHeaders();
  const send = (type: string, object: JsonObject) => {
    if (!response.writableEnded) response.write(`${JSON.stringify({ type, object })}\n`);
  };

  const requested = request.query.get('resourceVersion') ?? '';
  let pending: StoredEvent[];
  if (requested === '' || requested === '0') {
    for (const object of store.list(key, request.namespace)) if (inScope(object)) send('ADDED', request.present(object));
    pending = [];
  } else {
    const since = store.eventsSince(key, Number(requested));
    if (!since) {
      send('ERROR', {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: `too old resource version: ${requested} (${store.oldestResumable(key) + 1})`, reason: 'Expired', code: 410,
      });
      response.end();
      return () => undefined;
    }
    pending = since;
  }

  const deliver = (event: StoredEvent) => {
    const now = inScope(event.object);
    const before = event.type === 'MODIFIED' ? inScope(event.previous) : now;
    if (event.type === 'MODIFIED' && before !== now) {
      send(now ? 'ADDED' : 'DELETED', request.present(event.object));
    } else if (now) send(event.type, request.present(event.object));
  };
  for (const event of pending) deliver(event);
  const unsubscribe = store.subscribe(key, deliver);

  const timers: NodeJS.Timeout[] = [];
  if (request.query.get('allowWatchBookmarks') === 'true') {
    const bookmark = () => send('BOOKMARK', {
      kind: request.type.kind, apiVersion: apiVersionOf(request.type), metadata: { resourceVersion: String(store.currentRevision()) },
    });
    timers.push(setInterval(bookmark, settings.bookmarkIntervalMs));
  }
  const end = () => {
    unsubscribe();
    for (const timer of timers) clearInterval(timer);
    if (!response.writableEnded) response.end();
  };
  const timeoutSeconds = Number(request.query.get('timeoutSeconds') ?? 0);
  if (timeoutSeconds > 0) timers.push(setTimeout(end, timeoutSeconds * 1000));
  response.on('close', end);
  return end;
}
