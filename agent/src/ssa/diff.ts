import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { HIDDEN_VALUE, type DriftField, type KubeObject } from '@netfleet/shared';

/**
 * Comparing what netfleet would apply with what the cluster has. The desired side is
 * always the server's answer to a dry-run apply of the rendered object, so server
 * defaults and fields other managers own appear on both sides and never differ.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The top-level fields of a Secret that hold values. */
const SECRET_VALUE_FIELDS = ['data', 'stringData'];

export function isSecret(object: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return object.apiVersion === 'v1' && object.kind === 'Secret';
}

/**
 * The part of an object that counts for drift: labels, annotations and everything but
 * `metadata` and `status` (as Flux compares), minus the ignored JSON pointers.
 */
export function comparable(object: KubeObject, ignore: readonly string[] = []): Record<string, Json> {
  const { metadata, status: _status, ...body } = object;
  const view = structuredClone(body) as Record<string, Json>;
  const meta: Record<string, Json> = {};
  if (metadata.labels && Object.keys(metadata.labels).length > 0) meta.labels = { ...metadata.labels };
  if (metadata.annotations && Object.keys(metadata.annotations).length > 0) meta.annotations = { ...metadata.annotations };
  view.metadata = meta;
  for (const pointer of ignore) removePointer(view, pointer);
  return view;
}

function tokensOf(pointer: string): string[] | undefined {
  if (pointer === '' || !pointer.startsWith('/')) return undefined;
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at an RFC 6901 JSON pointer, or undefined. */
export function getPointer(root: Json, pointer: string): Json | undefined {
  const tokens = tokensOf(pointer);
  if (!tokens) return undefined;
  let node: Json | undefined = root;
  for (const token of tokens) node = child(node, token);
  return node;
}

/** Sets the value at a JSON pointer, creating missing parent objects. */
function setPointer(root: Json, pointer: string, value: Json): void {
  const tokens = tokensOf(pointer);
  if (!tokens) return;
  let node: Json = root;
  for (const token of tokens.slice(0, -1)) {
    let next = child(node, token);
    if (next === undefined && isRecord(node)) {
      next = {};
      node[token] = next;
    }
    if (next === undefined) return;
    node = next;
  }
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(node)) node[Number(last)] = value;
  else if (isRecord(node)) node[last] = value;
}

/**
 * The object to apply over a live one when some paths are ignored: at each ignored path
 * it takes the live value (or leaves the field out when live has none). Applying a value
 * equal to the live one changes nothing and never conflicts with the manager that set it,
 * so netfleet neither reverts nor fights over ignored fields; a new object gets the
 * rendered values.
 */
export function alignIgnored(object: KubeObject, live: KubeObject | undefined, ignore: readonly string[]): KubeObject {
  if (!live || ignore.length === 0) return object;
  const aligned = structuredClone(object) as unknown as Json;
  for (const pointer of ignore) {
    const value = getPointer(live as unknown as Json, pointer);
    if (value === undefined) removePointer(aligned, pointer);
    else setPointer(aligned, pointer, structuredClone(value));
  }
  return aligned as unknown as KubeObject;
}

/** Removes the value at an RFC 6901 JSON pointer, if present. */
export function removePointer(root: Json, pointer: string): void {
  const tokens = tokensOf(pointer);
  if (!tokens) return;
  let node: Json | undefined = root;
  for (const token of tokens.slice(0, -1)) {
    node = child(node, token);
    if (node === undefined) return;
  }
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(node)) {
    const index = Number(last);
    if (Number.isInteger(index) && index >= 0 && index < node.length) node.splice(index, 1);
  } else if (isRecord(node)) {
    delete node[last];
  }
}

function child(node: Json | undefined, token: string): Json | undefined {
  if (Array.isArray(node)) return node[Number(token)];
  if (isRecord(node)) return node[token];
  return undefined;
}

function isRecord(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]));
  }
  return false;
}

/**
 * The fields that differ between two values, as JSON pointers. Objects are compared key
 * by key; arrays of the same length item by item, otherwise as a whole.
 */
export function diffFields(desired: unknown, live: unknown, path = ''): DriftField[] {
  if (jsonEqual(desired, live)) return [];
  if (isRecord(desired) && isRecord(live)) {
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(live)])].sort();
    return keys.flatMap((key) => diffFields(desired[key], live[key], `${path}/${escapeToken(key)}`));
  }
  if (Array.isArray(desired) && Array.isArray(live) && desired.length === live.length) {
    return desired.flatMap((item, i) => diffFields(item, live[i], `${path}/${i}`));
  }
  const field: DriftField = { path: path || '/' };
  if (desired !== undefined) field.desired = desired;
  if (live !== undefined) field.live = live;
  return [field];
}

/**
 * The drifted fields of a live object against the dry-run result of the desired one.
 * A Secret's values are replaced by {@link HIDDEN_VALUE}.
 */
export function driftedFields(dryRun: KubeObject, live: KubeObject, ignore: readonly string[] = []): DriftField[] {
  const fields = diffFields(comparable(dryRun, ignore), comparable(live, ignore));
  return isSecret(live) ? fields.map(hideSecretValue) : fields;
}

function hideSecretValue(field: DriftField): DriftField {
  const top = field.path.split('/')[1] ?? '';
  if (!SECRET_VALUE_FIELDS.includes(top)) return field;
  const hidden: DriftField = { path: field.path };
  if (field.desired !== undefined) hidden.desired = HIDDEN_VALUE;
  if (field.live !== undefined) hidden.live = HIDDEN_VALUE;
  return hidden;
}

/**
 * A unified diff (live → desired) of the comparable views, as `kubectl diff` prints it.
 * Secret values never appear; a changed value shows as the hidden marker on both sides
 * with the key listed, so the reader sees which key changed.
 */
export function unifiedDiff(name: string, dryRun: KubeObject | undefined, live: KubeObject | undefined, ignore: readonly string[] = []): string {
  const secret = (dryRun && isSecret(dryRun)) || (live && isSecret(live));
  const [desiredView, liveView] = [dryRun, live].map((object) => (object ? comparable(object, ignore) : undefined));
  if (secret) markSecretChanges(desiredView, liveView);
  const toYaml = (view: unknown) => (view === undefined ? '' : stringify(view, { sortMapEntries: true }));
  return createTwoFilesPatch(`live/${name}`, `desired/${name}`, toYaml(liveView), toYaml(desiredView));
}

/** Replaces Secret values with markers that differ only where the values differ. */
function markSecretChanges(desired: Record<string, Json> | undefined, live: Record<string, Json> | undefined): void {
  for (const field of SECRET_VALUE_FIELDS) {
    const desiredValues = isRecord(desired?.[field]) ? desired[field] : undefined;
    const liveValues = isRecord(live?.[field]) ? live[field] : undefined;
    for (const key of new Set([...Object.keys(desiredValues ?? {}), ...Object.keys(liveValues ?? {})])) {
      const same = jsonEqual(desiredValues?.[key], liveValues?.[key]);
      if (desiredValues && key in desiredValues) desiredValues[key] = same ? '(hidden)' : `(${HIDDEN_VALUE})`;
      if (liveValues && key in liveValues) liveValues[key] = same ? '(hidden)' : '(hidden, old)';
    }
  }
}
