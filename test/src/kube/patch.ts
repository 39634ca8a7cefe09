/** JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch, as kube-apiserver applies them. */
import { KubeStatusError } from './status.js';
import { deepEqual, isObject } from './json.js';
import { additionalPropertiesSchema, itemsSchema, schemaProperties, type Schema } from './schema.js';

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

function patchError(message: string): KubeStatusError {
  return new KubeStatusError(422, 'Invalid', message);
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchError(`JSON pointer must start with '/': ${pointer}`);
  return pointer.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(document: unknown, tokens: string[], operation: string): { parent: unknown; last: string } {
  let node = document;
  for (const token of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  }
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function getAt(document: unknown, tokens: string[]): unknown {
  let node = document;
  for (const token of tokens) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function addAt(document: unknown, tokens: string[], value: unknown, operation: string): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens, operation);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) throw patchError(`${operation} operation does not apply: index out of bounds: ${last}`);
    parent.splice(index, 0, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  return document;
}

function removeAt(document: unknown, tokens: string[], operation: string): unknown {
  const { parent, last } = parentOf(document, tokens, operation);
  if (Array.isArray(parent) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw patchError(`${operation} operation does not apply: doc is missing path: "/${tokens.join('/')}"`);
  return document;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new KubeStatusError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let document = structuredClone(target);
  for (const operation of operations) {
    if (!isObject(operation)) throw patchError('invalid JSON patch operation');
    const op = String(operation.op);
    const path = parsePointer(String(operation.path ?? ''));
    switch (op) {
      case 'add': document = addAt(document, path, structuredClone(operation.value), op); break;
      case 'remove': document = removeAt(document, path, op); break;
      case 'replace':
        if (getAt(document, path) === undefined) throw patchError(`replace operation does not apply: doc is missing key: /${path.join('/')}`);
        document = addAt(removeAt(document, path, op), path, structuredClone(operation.value), op);
        break;
      case 'move': case 'copy': {
        const from = parsePointer(String(operation.from ?? ''));
        const value = getAt(document, from);
        if (value === undefined) throw patchError(`${op} operation does not apply: doc is missing from path: /${from.join('/')}`);
        if (op === 'move') document = removeAt(document, from, op);
        document = addAt(document, path, structuredClone(value), op);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(document, path), operation.value)) throw patchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      default: throw patchError(`Unexpected kind: ${op}`);
    }
  }
  return document;
}

/**
 * Strategic merge patch for built-in kinds, driven by the kind's schema: lists of type `map`
 * merge by their first key (the patchMergeKey kube-apiserver uses: Service port, condition
 * type, ownerReference uid), `set` lists merge by value, other lists are replaced. Directives:
 * `$patch: delete|replace|merge`, `$deleteFromPrimitiveList/<field>`, `$retainKeys`,
 * `$setElementOrder/<field>` (accepted, order not enforced).
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, schema: Schema | undefined): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _directive, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const result = isObject(target) ? structuredClone(target) : {};
  const properties = schemaProperties(schema);
  const additional = additionalPropertiesSchema(schema);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const remove = Array.isArray(value) ? value : [];
      if (Array.isArray(result[field])) result[field] = (result[field] as unknown[]).filter((item) => !remove.some((gone) => deepEqual(gone, item)));
      continue;
    }
    const child = properties[key] ?? additional;
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(result[key], value, child);
    else {
      const merged = applyStrategicMergePatch(result[key], value, child);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const retained = new Set(patch.$retainKeys.map(String));
    for (const key of Object.keys(result)) if (!retained.has(key)) delete result[key];
  }
  return result;
}

function mergeList(current: unknown, patch: unknown[], schema: Schema | undefined): unknown[] {
  const listType = schema?.['x-kubernetes-list-type'];
  const existing = Array.isArray(current) ? structuredClone(current) : [];
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace'));
  }
  if (listType === 'set') {
    for (const item of patch) if (!existing.some((old) => deepEqual(old, item))) existing.push(structuredClone(item));
    return existing;
  }
  const keys = schema?.['x-kubernetes-list-map-keys'];
  if (listType !== 'map' || !Array.isArray(keys) || keys.length === 0) return structuredClone(patch);
  const mergeKey = String(keys[0]);
  const items = itemsSchema(schema);
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = existing.findIndex((old) => isObject(old) && deepEqual(old[mergeKey], item[mergeKey]));
    if (item.$patch === 'delete') {
      if (index !== -1) existing.splice(index, 1);
    } else if (index === -1) {
      existing.push(applyStrategicMergePatch(undefined, item, items));
    } else {
      existing[index] = applyStrategicMergePatch(existing[index], item, items);
    }
  }
  return existing;
}
