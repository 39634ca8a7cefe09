import { Readiness, objectId, refOf, type KubeObject } from '@netfleet/shared';
import type { KubeClient } from '../kube/client.js';
import { pathOf } from './apply.js';

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The readiness of one object and why. */
export interface ObjectReadiness {
  id: string;
  readiness: Readiness;
  message?: string;
}

/**
 * Readiness from the object's own status, with kstatus semantics: a controller that has
 * not observed the latest generation (`status.observedGeneration` behind
 * `metadata.generation`) is in progress; `Stalled=True` is the only failure;
 * `Reconciling=True` is in progress; a `Ready` condition that is not True yet is in
 * progress (a failure only once a health timeout passes); a kind without status or
 * conditions (most DKP kinds, ModuleConfig) cannot tell, which counts as ready.
 */
export function readinessOf(object: KubeObject): { readiness: Readiness; message?: string } {
  const status = object.status as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  const generation = object.metadata.generation as number | undefined;
  if (status?.observedGeneration !== undefined && generation !== undefined && status.observedGeneration < generation) {
    return { readiness: Readiness.InProgress, message: `observed generation ${status.observedGeneration} of ${generation}` };
  }
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  const find = (type: string) => conditions.find((condition) => condition.type === type);
  const describe = (condition: Condition) => [condition.reason, condition.message].filter(Boolean).join(': ') || undefined;
  const stalled = find('Stalled');
  if (stalled?.status === 'True') return withMessage(Readiness.Failed, describe(stalled));
  const ready = find('Ready');
  if (ready?.status === 'True') return { readiness: Readiness.Ready };
  if (ready) return withMessage(Readiness.InProgress, describe(ready));
  const reconciling = find('Reconciling');
  if (reconciling?.status === 'True') return withMessage(Readiness.InProgress, describe(reconciling));
  return { readiness: status?.observedGeneration !== undefined ? Readiness.Ready : Readiness.Unknown };
}

function withMessage(readiness: Readiness, message: string | undefined) {
  return message ? { readiness, message } : { readiness };
}

/** Counts as done waiting: ready, failed for good, or a kind that cannot tell. */
function settled(readiness: Readiness): boolean {
  return readiness !== Readiness.InProgress;
}

/** How long {@link waitForReady} polls. */
export interface WaitOptions {
  /** Total time to wait, in milliseconds; 0 checks once. */
  timeoutMs: number;
  /** Pause between checks, in milliseconds. */
  intervalMs: number;
  signal?: AbortSignal;
}

/**
 * Reads each applied object's readiness. An object whose first reading (the apply answer,
 * or the live object listed before the sync) is not ready is read again from the
 * cluster, then polled until it settles or the timeout passes; with no timeout it is read
 * once more, live. Objects that vanished are reported as failed.
 */
export async function waitForReady(client: KubeClient, objects: readonly KubeObject[], options: WaitOptions): Promise<ObjectReadiness[]> {
  const deadline = Date.now() + options.timeoutMs;
  const results = new Map<string, ObjectReadiness>(objects.map((object) => [objectId(refOf(object)), { id: objectId(refOf(object)), ...readinessOf(object) }]));
  // Anything but ready in the first reading (which may predate the controller's last
  // status write) is read live before it counts.
  let pending = objects.filter((object) => ![Readiness.Ready, Readiness.Unknown].includes(results.get(objectId(refOf(object)))!.readiness));
  while (pending.length > 0 && !options.signal?.aborted) {
    const fresh = await Promise.all(pending.map((object) => client.get(pathOf(object))));
    pending = pending.filter((object, i) => {
      const id = objectId(refOf(object));
      const live = fresh[i];
      const result: ObjectReadiness = live ? { id, ...readinessOf(live) } : { id, readiness: Readiness.Failed, message: 'deleted while waiting' };
      results.set(id, result);
      return !settled(result.readiness);
    });
    if (pending.length === 0 || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  return [...results.values()];
}
