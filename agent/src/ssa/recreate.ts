import { Action, describeRef, refOf, type KubeObject } from '@netfleet/shared';
import type { KubeClient } from '../kube/client.js';
import { toKubeError } from '../kube/retry.js';
import type { AppliedMemo } from './memo.js';
import type { ApplyResult, ObjectPlan } from './apply.js';

/** How long a re-create waits for the old object to be gone (finalizers run first). */
const GONE_TIMEOUT_MS = 60_000;
const GONE_INTERVAL_MS = 250;

/**
 * Deletes an object whose change touches an immutable field and creates it again from
 * the rendered state (the document opted in with `policy.recreate`, like Flux's `force`).
 * The delete is guarded by the live uid; the create waits until the old object is gone.
 */
export async function recreate(client: KubeClient, plan: ObjectPlan, memo: AppliedMemo): Promise<ApplyResult> {
  const subject = refOf(plan.rendered.object);
  const { apiVersion, kind, metadata } = plan.rendered.object;
  const path = { apiVersion, kind, namespace: metadata.namespace, name: metadata.name };
  const uid = plan.live?.metadata.uid as string | undefined;
  memo.forget(plan.rendered.id);
  try {
    await client.delete(path, uid ? { uid } : {});
    if (!await gone(client, path, uid)) {
      return { entry: { subject, action: Action.Failed, message: `${describeRef(subject)}: deleted to re-create it, but it is still there after ${GONE_TIMEOUT_MS / 1000} s (finalizers?); the next sync creates it once it is gone` } };
    }
    const created = await client.apply(plan.object, { force: plan.force });
    memo.remember(plan.rendered.id, plan.rendered.hash, created.metadata.resourceVersion as string | undefined);
    return { entry: { subject, action: Action.Created, message: plan.message ?? 're-created' }, object: created };
  } catch (raw) {
    return { entry: { subject, action: Action.Failed, message: `${describeRef(subject)}: re-creating failed: ${toKubeError(raw).message}` } };
  }
}

async function gone(client: KubeClient, path: Parameters<KubeClient['get']>[0], uid: string | undefined): Promise<boolean> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    const live: KubeObject | undefined = await client.get(path);
    if (!live || (uid !== undefined && live.metadata.uid !== uid)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, GONE_INTERVAL_MS));
  }
}
