/**
 * What a DELETE does to one object, as kube-apiserver's registries do it: a Namespace or a
 * CRD starts terminating (the controllers in termination.ts finish the job), an object with
 * finalizers only gets a deletionTimestamp, anything else is removed at once.
 */
import { isObject, metadataOf, rfc3339Now, type JsonObject } from './json.js';
import { storageKey, type ResourceType } from './resource-type.js';
import { statusErrors } from './status.js';
import type { ObjectStore } from './store.js';
import type { ResourceRegistry } from './registry.js';

/** The finalizer apiextensions-apiserver puts on a CRD being deleted until its objects are gone. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
/** The namespace controller's entry in a Namespace's `spec.finalizers`. */
export const NAMESPACE_FINALIZER = 'kubernetes';

export class ObjectRemover {
  constructor(private readonly registry: ResourceRegistry, private readonly store: ObjectStore) {}

  /**
   * DELETE of a stored object. Returns the object as it stays (not stored under `dryRun`),
   * or undefined when it is gone.
   */
  delete(type: ResourceType, live: JsonObject, dryRun: boolean): JsonObject | undefined {
    const metadata = metadataOf(live);
    const deleting = metadata.deletionTimestamp !== undefined;
    if (isNamespace(type) && deleting && specFinalizersOf(live).length > 0) {
      // kube-apiserver's namespace registry refuses a second DELETE while the controller works.
      throw statusErrors.conflict('namespaces', '', String(metadata.name), 'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.');
    }
    if (!deleting && (isNamespace(type) || isCrd(type))) {
      return this.keep(type, startTerminating(type, live), dryRun);
    }
    if (finalizersOf(live).length > 0) {
      if (deleting) return live;
      const marked = structuredClone(live);
      Object.assign(metadataOf(marked), { deletionTimestamp: rfc3339Now(), deletionGracePeriodSeconds: 0 });
      return this.keep(type, marked, dryRun);
    }
    if (!dryRun) this.remove(type, live);
    return undefined;
  }

  private keep(type: ResourceType, object: JsonObject, dryRun: boolean): JsonObject {
    return dryRun ? object : this.store.put(storageKey(type), object);
  }

  /**
   * Removes an object from storage; a CRD also stops being served. Its objects normally went
   * first (CRD finalizer); when someone removed that finalizer early they go with it here.
   */
  remove(type: ResourceType, object: JsonObject): JsonObject {
    const deleted = this.store.remove(storageKey(type), object);
    if (isCrd(type)) {
      const crdName = String(metadataOf(object).name);
      for (const resource of this.registry.storedResources().filter((candidate) => candidate.crdName === crdName)) {
        for (const instance of this.store.list(storageKey(resource))) this.store.remove(storageKey(resource), instance);
      }
      this.registry.setCrd(crdName, undefined);
    }
    return deleted;
  }
}

/**
 * The first DELETE of a Namespace (deletionTimestamp, phase Terminating) or a CRD
 * (deletionTimestamp, the cleanup finalizer, condition Terminating=True).
 */
function startTerminating(type: ResourceType, live: JsonObject): JsonObject {
  const terminating = structuredClone(live);
  const metadata = metadataOf(terminating);
  metadata.deletionTimestamp = rfc3339Now();
  const status = isObject(terminating.status) ? terminating.status : (terminating.status = {});
  if (isNamespace(type)) {
    status.phase = 'Terminating';
    return terminating;
  }
  const finalizers = finalizersOf(terminating);
  if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  return withCrdCondition(terminating, {
    type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending',
    message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
  });
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/**
 * A copy of the CRD with one condition set as apiextensions' SetCRDCondition does: the
 * transition time moves only when the status changes.
 */
export function withCrdCondition(crd: JsonObject, condition: Condition): JsonObject {
  const updated = structuredClone(crd);
  const status = isObject(updated.status) ? updated.status : (updated.status = {});
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
  const existing = conditions.find((candidate) => candidate.type === condition.type);
  const lastTransitionTime = existing && existing.status === condition.status ? existing.lastTransitionTime : rfc3339Now();
  const next = { type: condition.type, status: condition.status, lastTransitionTime, reason: condition.reason, message: condition.message };
  status.conditions = existing ? conditions.map((candidate) => (candidate === existing ? next : candidate)) : [...conditions, next];
  return updated;
}

export function isCrd(type: Pick<ResourceType, 'kind' | 'group'>): boolean {
  return type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io';
}

export function isNamespace(type: Pick<ResourceType, 'kind' | 'group'>): boolean {
  return type.kind === 'Namespace' && type.group === '';
}

export function finalizersOf(object: JsonObject): string[] {
  const finalizers = metadataOf(object).finalizers;
  return Array.isArray(finalizers) ? finalizers.map(String) : [];
}

export function specFinalizersOf(namespace: JsonObject): string[] {
  const finalizers = isObject(namespace.spec) ? namespace.spec.finalizers : undefined;
  return Array.isArray(finalizers) ? finalizers.map(String) : [];
}

/**
 * True once nothing holds a deleted object any more: no finalizers (and, for a Namespace,
 * no `spec.finalizers` either), so an update that got it there removes it.
 */
export function isReleased(type: ResourceType, object: JsonObject): boolean {
  return metadataOf(object).deletionTimestamp !== undefined && finalizersOf(object).length === 0
    && (!isNamespace(type) || specFinalizersOf(object).length === 0);
}

/** The Status kube-apiserver answers a completed deletion with. */
export function deletedStatus(type: ResourceType, object: JsonObject): JsonObject {
  const metadata = metadataOf(object);
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: metadata.name, group: type.group, kind: type.plural, uid: metadata.uid },
  };
}
