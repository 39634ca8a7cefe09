/**
 * Field ownership of server-side apply, as kube-apiserver's field manager keeps it in
 * `metadata.managedFields`: Apply entries own exactly what their manager last applied,
 * Update entries own what their writes changed; conflicts, forced takeover and the removal
 * of fields a manager stops applying follow structured-merge-diff's Updater.
 */
import { KubeStatusError } from './status.js';
import { isObject, metadataOf, type JsonObject } from './json.js';
import {
  difference, fieldsV1FromSet, intersection, isAncestor, pathKey, pathOf, pathToString, setFromFieldsV1, union,
  withoutSubtrees, type FieldPath, type FieldSet,
} from './fieldpath.js';
import { compare, merge, removePaths, toFieldSet } from './typed.js';
import type { Schema } from './schema.js';

export type ManagerOperation = 'Apply' | 'Update';

/** Who writes, and how; one managedFields entry per distinct identity. */
export interface WriterIdentity {
  manager: string;
  operation: ManagerOperation;
  apiVersion: string;
  /** `status` for writes through the status subresource. */
  subresource?: string;
}

interface ManagerEntry extends WriterIdentity {
  time: string;
  set: FieldSet;
}

/** Where a write lands, which decides the fields kube-apiserver resets (and never tracks). */
export interface WriteScope {
  /** The resource has a status subresource (the main endpoint then ignores `status`). */
  statusSubresource: boolean;
  subresource?: string;
}

/** Paths the field manager strips before tracking (k8s fieldmanager's stripMeta). */
const STRIPPED_MEMBERS: FieldPath[] = [
  ['f:apiVersion'], ['f:kind'], ['f:metadata'],
  ['f:metadata', 'f:name'], ['f:metadata', 'f:namespace'], ['f:metadata', 'f:creationTimestamp'],
  ['f:metadata', 'f:selfLink'], ['f:metadata', 'f:uid'], ['f:metadata', 'f:generation'],
  ['f:metadata', 'f:resourceVersion'], ['f:metadata', 'f:deletionTimestamp'],
  ['f:metadata', 'f:deletionGracePeriodSeconds'],
];

function tracked(set: FieldSet, scope: WriteScope): FieldSet {
  let result = withoutSubtrees(set, [['f:metadata', 'f:managedFields']]);
  for (const member of STRIPPED_MEMBERS) result.delete(pathKey(member));
  if (scope.subresource === 'status') {
    result = new Set([...result].filter((key) => pathOf(key)[0] === 'f:status'));
  } else if (scope.statusSubresource) {
    result = withoutSubtrees(result, [['f:status']]);
  }
  return result;
}

function identityKey(identity: WriterIdentity): string {
  return JSON.stringify([identity.manager, identity.operation, identity.operation === 'Update' ? identity.apiVersion : '', identity.subresource ?? '']);
}

function readManagers(object: JsonObject | undefined): Map<string, ManagerEntry> {
  const managers = new Map<string, ManagerEntry>();
  const entries = object ? metadataOf(object).managedFields : undefined;
  if (!Array.isArray(entries)) return managers;
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry.manager !== 'string') continue;
    const manager: ManagerEntry = {
      manager: entry.manager,
      operation: entry.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(entry.apiVersion ?? ''),
      time: String(entry.time ?? ''),
      set: setFromFieldsV1(entry.fieldsV1),
    };
    if (typeof entry.subresource === 'string') manager.subresource = entry.subresource;
    managers.set(identityKey(manager), manager);
  }
  return managers;
}

function writeManagers(object: JsonObject, managers: Map<string, ManagerEntry>): void {
  const entries = [...managers.values()]
    .filter((entry) => entry.set.size > 0)
    .sort(kubeApiserverOrder)
    .map((entry) => {
      const encoded: JsonObject = {
        manager: entry.manager,
        operation: entry.operation,
        apiVersion: entry.apiVersion,
        time: entry.time,
        fieldsType: 'FieldsV1',
        fieldsV1: fieldsV1FromSet(entry.set),
      };
      if (entry.subresource) encoded.subresource = entry.subresource;
      return encoded;
    });
  const metadata = isObject(object.metadata) ? object.metadata : (object.metadata = {});
  if (entries.length > 0) metadata.managedFields = entries;
  else delete metadata.managedFields;
}

/**
 * kube-apiserver's sortEncodedManagedFields: operation (Apply before Update), then the time's
 * second, then manager, apiVersion and subresource, all compared as Go compares strings
 * (byte by byte, so `Go-http-client` comes before `deckhouse`).
 */
function kubeApiserverOrder(a: ManagerEntry, b: ManagerEntry): number {
  return byteOrder(a.operation, b.operation) || secondOf(a.time) - secondOf(b.time) || byteOrder(a.manager, b.manager)
    || byteOrder(a.apiVersion, b.apiVersion) || byteOrder(a.subresource ?? '', b.subresource ?? '');
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Unix seconds of an RFC 3339 time; 0 for none, as for a nil time. */
function secondOf(time: string): number {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function withoutManagedFields(object: JsonObject | undefined): JsonObject {
  const copy = structuredClone(object ?? {});
  if (isObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function describeManager(entry: ManagerEntry): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === 'Update') text += ` using ${entry.apiVersion}${entry.time ? ` at ${entry.time}` : ''}`;
  return text;
}

function conflictError(conflicts: Array<{ entry: ManagerEntry; path: FieldPath }>): KubeStatusError {
  const causes = conflicts.map(({ entry, path }) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${describeManager(entry)}`,
    field: pathToString(path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0]!.entry)}: ${pathToString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const { entry, path } of conflicts) {
      const name = describeManager(entry);
      byManager.set(name, [...(byManager.get(name) ?? []), pathToString(path)]);
    }
    const lines = [...byManager.keys()].sort().flatMap((name) => [`conflicts with ${name}:`, ...byManager.get(name)!.map((path) => `- ${path}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new KubeStatusError(409, 'Conflict', message, { causes });
}

/**
 * Takes ownership away from other managers for what changed (or reports it as conflicts),
 * as structured-merge-diff's `update` does.
 */
function settleOwnership(
  managers: Map<string, ManagerEntry>, writerKey: string, changed: FieldSet, removed: FieldSet, force: boolean,
): void {
  const conflicts: Array<{ entry: ManagerEntry; path: FieldPath }> = [];
  for (const [key, entry] of managers) {
    if (key === writerKey) continue;
    for (const member of intersection(entry.set, changed)) conflicts.push({ entry, path: pathOf(member) });
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const [key, entry] of managers) {
    if (key === writerKey) continue;
    entry.set = difference(difference(entry.set, changed), removed);
    if (entry.set.size === 0) managers.delete(key);
  }
}

/**
 * The ownership an update starts from, as kube-apiserver's decodeLiveOrNew decides: a
 * request that sets managedFields replaces them (`[]` or `[{}]` resets them), one that
 * leaves them out or sends none keeps the live ones, and writes through a subresource
 * never change them.
 */
function managersForUpdate(live: JsonObject | undefined, updated: JsonObject, scope: WriteScope): Map<string, ManagerEntry> {
  const sent = metadataOf(updated).managedFields;
  if (scope.subresource || !Array.isArray(sent)) return readManagers(live);
  const reset = sent.length === 0 || (sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0);
  if (reset) return new Map();
  const managers = readManagers(updated);
  return managers.size > 0 ? managers : readManagers(live);
}

/** Tracks a create, update or non-apply patch: the writer owns what it changed. */
export function recordUpdate(
  live: JsonObject | undefined, updated: JsonObject, schema: Schema, writer: WriterIdentity, scope: WriteScope, now: string,
): JsonObject {
  const managers = managersForUpdate(live, updated, scope);
  const before = withoutManagedFields(live);
  const after = withoutManagedFields(updated);
  const comparison = compare(before, after, schema);
  const changed = tracked(union(comparison.added, comparison.modified), scope);
  const removed = tracked(comparison.removed, scope);
  const key = identityKey(writer);
  settleOwnership(managers, key, changed, removed, true);
  const previous = managers.get(key);
  const set = union(difference(previous?.set ?? new Set(), removed), changed);
  const touched = changed.size > 0 || removed.size > 0;
  managers.set(key, { ...writer, time: touched || !previous ? now : previous.time, set });
  const result = structuredClone(updated);
  writeManagers(result, managers);
  return result;
}

/**
 * The ownership an apply starts from. An object with no managedFields (created before
 * server-side apply, or its managedFields reset) first gets a `before-first-apply` Update
 * entry owning everything it has, as kube-apiserver's skipNonAppliedManager does, so the
 * first applier conflicts with what was there instead of silently owning it.
 */
function readManagersOrFirstApply(live: JsonObject, schema: Schema, writer: WriterIdentity, scope: WriteScope, now: string): Map<string, ManagerEntry> {
  const managers = readManagers(live);
  if (managers.size > 0) return managers;
  const first: WriterIdentity = { manager: 'before-first-apply', operation: 'Update', apiVersion: writer.apiVersion };
  return readManagers(recordUpdate(undefined, withoutManagedFields(live), schema, first, scope, now));
}

/** The outcome of a server-side apply before defaulting and validation. */
export interface AppliedObject {
  object: JsonObject;
  /** False when the apply changes neither the object nor field ownership. */
  changed: boolean;
}

/** Server-side apply of `config` onto `live` (absent when the apply creates the object). */
export function recordApply(
  live: JsonObject | undefined, config: JsonObject, schema: Schema, writer: WriterIdentity, scope: WriteScope, force: boolean, now: string,
): AppliedObject {
  const managers = live ? readManagersOrFirstApply(live, schema, writer, scope, now) : new Map<string, ManagerEntry>();
  const before = withoutManagedFields(live);
  const key = identityKey(writer);
  const configSet = tracked(toFieldSet(config, schema), scope);
  const merged = merge(before, config, schema) as JsonObject;

  const previous = managers.get(key);
  if (previous) {
    const othersOwn = union(...[...managers].filter(([other]) => other !== key).map(([, entry]) => entry.set));
    const stopped = [...difference(previous.set, configSet)].map(pathOf).filter((path) =>
      ![...othersOwn].some((owned) => owned === pathKey(path) || isAncestor(path, pathOf(owned)))
      && ![...configSet].some((owned) => isAncestor(path, pathOf(owned))));
    removePaths(merged, stopped, schema, union(configSet, othersOwn));
  }

  const comparison = compare(before, merged, schema);
  const changedFields = tracked(union(comparison.added, comparison.modified), scope);
  settleOwnership(managers, key, changedFields, tracked(comparison.removed, scope), force);
  const ownershipChanged = !previous || previous.set.size !== configSet.size || [...configSet].some((member) => !previous.set.has(member));
  const objectChanged = comparison.added.size + comparison.modified.size + comparison.removed.size > 0;
  managers.set(key, { ...writer, time: ownershipChanged || objectChanged || !previous ? now : previous.time, set: configSet });
  writeManagers(merged, managers);
  return { object: merged, changed: objectChanged || ownershipChanged || !live };
}
