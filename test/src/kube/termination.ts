/**
 * The controllers that finish what a DELETE of a Namespace or a CRD starts, a short delay
 * later, as kube-controller-manager's namespace controller and apiextensions-apiserver's
 * CRD finalizer do: delete the contents (objects with finalizers stay until those are
 * removed), report progress in conditions, then drop their finalizer so the object goes.
 * While anything is left they look again every delay.
 */
import { isObject, metadataOf, rfc3339Now, deepEqual, type JsonObject } from './json.js';
import { storageKey, type ResourceType } from './resource-type.js';
import type { ObjectStore } from './store.js';
import type { ResourceRegistry } from './registry.js';
import {
  CRD_CLEANUP_FINALIZER, NAMESPACE_FINALIZER, finalizersOf, specFinalizersOf, withCrdCondition, type Condition, type ObjectRemover,
} from './deletion.js';

export class TerminationControllers {
  private timer: NodeJS.Timeout | undefined;
  private held = false;
  private stopped = false;

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStore,
    private readonly remover: ObjectRemover,
    private readonly delayMs: number,
  ) {}

  /** Runs the controllers after the delay (once, however often it is asked meanwhile). */
  schedule(): void {
    if (this.timer || this.held || this.stopped) return;
    this.timer = setTimeout(() => this.pass(), this.delayMs);
    this.timer.unref();
  }

  /** Holds the controllers (Namespaces and CRDs stay Terminating) or lets them run again. */
  hold(held: boolean): void {
    this.held = held;
    if (held) {
      clearTimeout(this.timer);
      this.timer = undefined;
    } else {
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private pass(): void {
    this.timer = undefined;
    let pending = false;
    const crdType = this.type('apiextensions.k8s.io', 'customresourcedefinitions');
    for (const crd of this.store.list(storageKey(crdType))) {
      if (metadataOf(crd).deletionTimestamp && finalizersOf(crd).includes(CRD_CLEANUP_FINALIZER)) pending = !this.finishCrd(crdType, crd) || pending;
    }
    const namespaceType = this.type('', 'namespaces');
    for (const namespace of this.store.list(storageKey(namespaceType))) {
      if (metadataOf(namespace).deletionTimestamp && specFinalizersOf(namespace).includes(NAMESPACE_FINALIZER)) {
        pending = !this.finishNamespace(namespaceType, namespace) || pending;
      }
    }
    if (pending) this.schedule();
  }

  /** One run of the CRD finalizer; true once the CRD no longer waits for its objects. */
  private finishCrd(crdType: ResourceType, crd: JsonObject): boolean {
    const name = String(metadataOf(crd).name);
    const current = this.write(crdType, crd, withCrdCondition(crd, {
      type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress',
    }));
    let remaining = 0;
    for (const resource of this.registry.storedResources().filter((type) => type.crdName === name)) {
      for (const object of this.store.list(storageKey(resource))) if (this.remover.delete(resource, object, false)) remaining += 1;
    }
    if (remaining > 0) return false;
    const finished = withCrdCondition(current, { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' });
    metadataOf(finished).finalizers = finalizersOf(finished).filter((finalizer) => finalizer !== CRD_CLEANUP_FINALIZER);
    this.release(crdType, finished);
    return true;
  }

  /** One run of the namespace controller; true once the namespace no longer waits for content. */
  private finishNamespace(namespaceType: ResourceType, namespace: JsonObject): boolean {
    const name = String(metadataOf(namespace).name);
    const remaining = new Map<string, number>();
    const held = new Map<string, number>();
    const count = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const resource of this.registry.storedResources().filter((type) => type.namespaced)) {
      for (const object of this.store.list(storageKey(resource), name)) {
        const kept = this.remover.delete(resource, object, false);
        if (!kept) continue;
        count(remaining, `${resource.plural}.${resource.group}`);
        for (const finalizer of finalizersOf(kept)) count(held, finalizer);
      }
    }
    const current = this.write(namespaceType, namespace, withNamespaceConditions(namespace, namespaceConditions(remaining, held)));
    if (remaining.size > 0) return false;
    const finalized = structuredClone(current);
    const spec = isObject(finalized.spec) ? finalized.spec : (finalized.spec = {});
    spec.finalizers = specFinalizersOf(finalized).filter((finalizer) => finalizer !== NAMESPACE_FINALIZER);
    this.release(namespaceType, finalized);
    return true;
  }

  /** Stores a changed object (status updates that change nothing are not written). */
  private write(type: ResourceType, live: JsonObject, next: JsonObject): JsonObject {
    return deepEqual(live, next) ? live : this.store.put(storageKey(type), next);
  }

  /** Writes an object whose controller finalizer is gone; with nothing else holding it, it goes. */
  private release(type: ResourceType, object: JsonObject): void {
    const held = finalizersOf(object).length > 0 || specFinalizersOf(object).length > 0;
    if (held) this.store.put(storageKey(type), object);
    else this.remover.remove(type, object);
  }

  private type(group: string, plural: string): ResourceType {
    return this.registry.storedResources().find((type) => type.group === group && type.plural === plural)!;
  }
}

const NAMESPACE_CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining', 'NamespaceFinalizersRemaining',
];

/** The namespace controller's five conditions, worded as in its status_condition_utils.go. */
function namespaceConditions(remaining: Map<string, number>, held: Map<string, number>): Condition[] {
  const listed = (counts: Map<string, number>, format: (key: string, count: number) => string) =>
    [...counts.entries()].map(([key, count]) => format(key, count)).sort().join(', ');
  return [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.size > 0
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${listed(remaining, (resource, count) => `${resource} has ${count} resource instances`)}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    held.size > 0
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${listed(held, (finalizer, count) => `${finalizer} in ${count} resource instances`)}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
}

/** A copy with the conditions set; a condition whose status, reason and message stay keeps its time. */
function withNamespaceConditions(namespace: JsonObject, conditions: Condition[]): JsonObject {
  const updated = structuredClone(namespace);
  const status = isObject(updated.status) ? updated.status : (updated.status = {});
  const existing = Array.isArray(status.conditions) ? status.conditions.filter(isObject) : [];
  const now = rfc3339Now();
  const byType = new Map(existing.map((condition) => [condition.type, condition]));
  for (const condition of conditions) {
    const old = byType.get(condition.type);
    if (old && old.status === condition.status && old.reason === condition.reason && old.message === condition.message) continue;
    byType.set(condition.type, { type: condition.type, status: condition.status, lastTransitionTime: now, reason: condition.reason, message: condition.message });
  }
  const ordered = NAMESPACE_CONDITION_TYPES.flatMap((type) => (byType.has(type) ? [byType.get(type)!] : []));
  status.conditions = [...ordered, ...existing.filter((condition) => !NAMESPACE_CONDITION_TYPES.includes(String(condition.type)))];
  return updated;
}
