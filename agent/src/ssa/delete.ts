import {
  Action, OWNER_LABEL, OWNER_VALUE, PRUNE_ANNOTATION, parseObjectId,
  type ChangeSetEntry, type KubeObject, type ObjectRef,
} from '@netfleet/shared';
import type { KubeClient } from '../kube/client.js';
import { toKubeError } from '../kube/retry.js';

/** One object to delete: its inventory id and the apiVersion it was applied with. */
export interface StaleObject {
  id: string;
  apiVersion: string;
}

/** What deleting one stale object did. */
export interface DeleteResult {
  stale: StaleObject;
  entry: ChangeSetEntry;
  /** True when the object is still there because the delete failed (it stays in the inventory). */
  survived: boolean;
}

/**
 * Deletion order: the reverse of apply, namespaced objects before cluster-scoped ones and
 * Namespaces last, so a namespace is not deleted under objects still being pruned.
 */
export function deleteStage(ref: ObjectRef): number {
  if (ref.group === '' && ref.kind === 'Namespace') return 2;
  if (ref.group === 'deckhouse.io' && ref.kind === 'ModuleConfig') return 3;
  return ref.namespace ? 0 : 1;
}

/**
 * Why a live object must not be deleted, or undefined when it may be: the prune annotation
 * set to `disabled` in the cluster, or it no longer carries netfleet's owner label (someone
 * else took it over).
 */
export function pruneProtection(live: KubeObject): string | undefined {
  if (live.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') return `kept: annotated ${PRUNE_ANNOTATION}=disabled`;
  if (live.metadata.labels?.[OWNER_LABEL] !== OWNER_VALUE) return `kept: no longer labelled ${OWNER_LABEL}=${OWNER_VALUE}`;
  return undefined;
}

/**
 * Deletes one stale object unless it is protected: the prune annotation set to
 * `disabled` in the cluster, or it no longer carries netfleet's owner label (someone
 * else took it over). Already gone counts as deleted. With `dryRun` nothing is deleted: the
 * result says what would be (`netfleet uninstall --prune-managed` lists it first).
 */
export async function deleteObject(client: KubeClient, stale: StaleObject, options: DeleteOptions = {}): Promise<DeleteResult> {
  const subject = parseObjectId(stale.id);
  let apiVersion = stale.apiVersion;
  const result = (action: Action, survived: boolean, message?: string): DeleteResult => ({
    stale: { ...stale, apiVersion }, survived, entry: message ? { subject, action, message } : { subject, action },
  });
  try {
    // The object outlives the version it was applied with: reach it through a served one.
    const reachable = await client.reachableVersion(stale.apiVersion, subject.kind);
    if (!reachable) return result(Action.Failed, true, notServedMessage(stale.apiVersion, subject.kind));
    apiVersion = reachable;
    const path = { apiVersion, kind: subject.kind, namespace: subject.namespace || undefined, name: subject.name };
    const live = await client.get(path);
    if (!live) return result(Action.Deleted, false);
    const kept = pruneProtection(live);
    if (kept) return result(Action.Skipped, false, kept);
    // Already being deleted (a Terminating namespace refuses a second DELETE with 409).
    if (live.metadata.deletionTimestamp) return result(Action.Deleted, false);
    if (!options.dryRun) await client.delete(path, { uid: live.metadata.uid as string | undefined });
    return result(Action.Deleted, false);
  } catch (raw) {
    return result(Action.Failed, true, toKubeError(raw).message);
  }
}

function notServedMessage(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : 'the core API';
  return `not pruned: no version of ${group} serves ${kind} any more (it was applied as ${apiVersion}); `
    + 'kept in the inventory until one does (the module or CRD back), or remove its line from the inventory ConfigMap once you made sure it is gone';
}

export interface DeleteOptions {
  /** Look everything up, delete nothing. */
  dryRun?: boolean;
}

/** Deletes stale objects in {@link deleteStage} order; each stage in parallel. */
export async function deleteAll(client: KubeClient, stale: readonly StaleObject[], options: DeleteOptions = {}): Promise<DeleteResult[]> {
  const results: DeleteResult[] = [];
  for (const stage of [0, 1, 2, 3]) {
    const inStage = stale.filter((object) => deleteStage(parseObjectId(object.id)) === stage);
    results.push(...await Promise.all(inStage.map((object) => deleteObject(client, object, options))));
  }
  return results;
}
