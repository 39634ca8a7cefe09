/** Helpers the Kubernetes API test server's own tests share (not part of the harness API). */
import { ApiException, PatchStrategy, Watch, type KubeConfig, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';
import { isObject, type JsonObject } from './json.js';

/** A manifest with a body: what tests apply. */
export type Manifest = KubernetesObject & { apiVersion: string; kind: string; spec?: unknown; data?: Record<string, string>; status?: unknown };

export { eventually } from '../eventually.js';

/** The Status object a client-node ApiException carries. */
export interface Status extends JsonObject {
  code: number;
  reason?: string;
  message: string;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message: string; field?: string }>; retryAfterSeconds?: number };
}

export function statusOf(error: unknown): Status {
  if (!(error instanceof ApiException)) throw error;
  const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
  if (!isObject(body)) throw new Error(`not a Status: ${String(error.body)}`);
  return { ...body, code: error.code } as Status;
}

/** Awaits a call expected to fail and returns the Status it failed with. */
export async function rejection(call: Promise<unknown>): Promise<Status> {
  try {
    await call;
  } catch (error) {
    return statusOf(error);
  }
  throw new Error('the call succeeded, a failure was expected');
}

/** Server-side apply through client-node's KubernetesObjectApi. */
export function apply<T extends KubernetesObject>(
  client: KubernetesObjectApi, object: T, fieldManager: string, options: { force?: boolean; dryRun?: boolean } = {},
): Promise<T> {
  return client.patch(object, undefined, options.dryRun ? 'All' : undefined, fieldManager, options.force, PatchStrategy.ServerSideApply);
}

/** The fieldsV1 of one manager's entry. */
export function managedBy(object: KubernetesObject, manager: string): unknown {
  return object.metadata?.managedFields?.find((entry) => entry.manager === manager)?.fieldsV1;
}

/** One event a watch delivered. */
export interface SeenEvent {
  type: string;
  name?: string;
  resourceVersion?: string;
  code?: number;
  object: JsonObject;
}

/** Collects the events of a client-node Watch until the stream ends. */
export async function startWatch(
  config: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>,
): Promise<{ events: SeenEvent[]; ended: Promise<unknown>; stop(): void }> {
  const events: SeenEvent[] = [];
  let finish: (error: unknown) => void = () => undefined;
  const ended = new Promise((resolve) => { finish = resolve; });
  const controller = await new Watch(config).watch(path, query, (type, object: JsonObject & { metadata?: { name?: string; resourceVersion?: string }; code?: number }) => {
    events.push({ type, name: object.metadata?.name, resourceVersion: object.metadata?.resourceVersion, code: object.code, object });
  }, (error) => finish(error ?? null));
  return { events, ended, stop: () => controller.abort() };
}
