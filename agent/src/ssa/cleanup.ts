import type { KubeObject } from '@netfleet/shared';
import type { KubeClient } from '../kube/client.js';
import type { JsonPatchOperation } from '../kube/object-api.js';

/**
 * Ownership migration on adoption, like Flux's ssa ApplyCleanup: an object first written
 * by `kubectl` (create, edit, client-side apply), by dhctl or Deckhouse, or by the
 * `before-first-apply` manager kube-apiserver invents for objects created before
 * server-side apply, keeps those Update managers' ownership of the fields netfleet now
 * applies; a field later removed from git would then stay in the cluster. After
 * netfleet's apply, their ownership of the fields netfleet's entry holds moves to
 * netfleet (it is removed from their entries), so netfleet alone owns what it sets and
 * server-side apply removes what it stops setting. Fields netfleet does not set stay
 * theirs.
 */

/** Update-operation managers whose ownership of netfleet's fields netfleet takes over (name prefixes, as Flux matches). */
export const ADOPTED_MANAGERS = ['kubectl', 'before-first-apply', 'dhctl', 'deckhouse'];

type Fields = Record<string, unknown>;

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: Fields;
  [key: string]: unknown;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A fieldsV1 node is a member of the set itself when it has no children or a `.` key. */
function isMember(node: Fields): boolean {
  return Object.keys(node).length === 0 || '.' in node;
}

/** `a` minus `b`, as field sets in fieldsV1 form; undefined when nothing is left. */
export function subtractFields(a: Fields, b: Fields): Fields | undefined {
  const result: Fields = {};
  for (const [key, child] of Object.entries(a)) {
    if (key === '.' || !isFields(child)) continue;
    const other = b[key];
    if (!isFields(other)) {
      result[key] = child;
      continue;
    }
    const children = subtractFields(child, other) ?? {};
    const member = isMember(child) && !isMember(other);
    if (Object.keys(children).length === 0 && !member) continue;
    result[key] = member && Object.keys(children).length > 0 ? { '.': {}, ...children } : children;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function adoptable(entry: ManagedFieldsEntry): boolean {
  return entry.operation === 'Update' && !entry.subresource
    && ADOPTED_MANAGERS.some((prefix) => entry.manager?.startsWith(prefix) === true);
}

/**
 * The JSON patch that moves adoptable managers' ownership of `manager`'s applied fields
 * to it, guarded by the resourceVersion; undefined when there is nothing to move.
 */
export function cleanupPatch(object: KubeObject, manager: string): JsonPatchOperation[] | undefined {
  const entries = (object.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const ours = entries.find((entry) => entry.manager === manager && entry.operation === 'Apply' && !entry.subresource);
  if (!ours?.fieldsV1) return undefined;
  let changed = false;
  const next: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    if (!adoptable(entry) || !entry.fieldsV1) {
      next.push(entry);
      continue;
    }
    const left = subtractFields(entry.fieldsV1, ours.fieldsV1);
    if (JSON.stringify(left) === JSON.stringify(entry.fieldsV1)) {
      next.push(entry);
      continue;
    }
    changed = true;
    if (left) next.push({ ...entry, fieldsV1: left });
  }
  if (!changed) return undefined;
  return [
    { op: 'test', path: '/metadata/resourceVersion', value: object.metadata.resourceVersion },
    { op: 'replace', path: '/metadata/managedFields', value: next },
  ];
}

/** True when `manager` had applied the object before (it is not being adopted). */
export function appliedBy(object: KubeObject | undefined, manager: string): boolean {
  return ((object?.metadata.managedFields ?? []) as ManagedFieldsEntry[]).some((entry) => entry.manager === manager && entry.operation === 'Apply');
}

/**
 * True when `object` (an apply's answer, or its dry run) has fields netfleet applies that
 * adoptable managers still own: the apply must happen, even when no value changes, so
 * the cleanup can move them.
 */
export function needsCleanup(object: KubeObject, manager: string): boolean {
  return cleanupPatch(object, manager) !== undefined;
}

/**
 * Applies {@link cleanupPatch} to an object netfleet just applied; returns the patched
 * object, or the one given when there was nothing to move.
 */
export async function cleanupManagers(client: KubeClient, object: KubeObject): Promise<KubeObject> {
  const operations = cleanupPatch(object, client.fieldManager);
  if (!operations) return object;
  const { apiVersion, kind, metadata } = object;
  return client.jsonPatch({ apiVersion, kind, namespace: metadata.namespace, name: metadata.name }, operations);
}
