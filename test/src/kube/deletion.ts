/**
 * What a deletion takes with it, as kube-apiserver and its controllers end up doing:
 * a CRD's custom resources and a Namespace's contents (at once here; kube-apiserver goes
 * through a Terminating phase while controllers clean up), with DELETED watch events.
 */
import { isObject, metadataOf, rfc3339Now, type JsonObject } from './json.js';
import { storageKey, type ResourceType } from './resource-type.js';
import type { ObjectStore } from './store.js';
import type { ResourceRegistry } from './registry.js';

export class ObjectRemover {
  constructor(private readonly registry: ResourceRegistry, private readonly store: ObjectStore) {}

  /** Removes an object; removing a CRD also removes its objects and stops serving it. */
  remove(type: ResourceType, object: JsonObject): JsonObject {
    const deleted = this.store.remove(storageKey(type), object);
    if (isCrd(type)) {
      const crdName = String(metadataOf(object).name);
      for (const resource of this.uniqueResources().filter((candidate) => candidate.crdName === crdName)) {
        for (const instance of this.store.list(storageKey(resource))) this.store.remove(storageKey(resource), instance);
      }
      this.registry.setCrd(crdName, undefined);
    }
    return deleted;
  }

  /** Removes a namespace and everything in it; returns the namespace as Terminating. */
  removeNamespace(type: ResourceType, namespace: JsonObject): JsonObject {
    const name = String(metadataOf(namespace).name);
    for (const resource of this.uniqueResources().filter((candidate) => candidate.namespaced)) {
      for (const object of this.store.list(storageKey(resource), name)) this.remove(resource, object);
    }
    const terminating = structuredClone(namespace);
    metadataOf(terminating).deletionTimestamp = rfc3339Now();
    terminating.status = { ...(isObject(terminating.status) ? terminating.status : {}), phase: 'Terminating' };
    this.store.remove(storageKey(type), namespace);
    return terminating;
  }

  /** One resource type per stored resource (versions of a CRD share their objects). */
  private uniqueResources(): ResourceType[] {
    const seen = new Set<string>();
    return this.registry.all().filter((type) => !seen.has(storageKey(type)) && seen.add(storageKey(type)));
  }
}

export function isCrd(type: ResourceType): boolean {
  return type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io';
}

/** The Status kube-apiserver answers a completed deletion with. */
export function deletedStatus(type: ResourceType, object: JsonObject): JsonObject {
  const metadata = metadataOf(object);
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success',
    details: { name: metadata.name, group: type.group, kind: type.plural, uid: metadata.uid },
  };
}
