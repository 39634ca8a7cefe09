/**
 * The schema-typed view server-side apply works on (structured-merge-diff): which nodes are
 * granular maps, atomic values or associative lists, the field set an applied configuration
 * owns, comparisons between two versions, merging and removal of owned fields.
 */
import { deepEqual, isObject, type JsonObject } from './json.js';
import { fieldElement, keyElement, pathKey, valueElement, type FieldPath, type FieldSet } from './fieldpath.js';
import { OBJECT_META_SCHEMA, additionalPropertiesSchema, itemsSchema, preservesUnknownFields, schemaProperties, type Schema } from './schema.js';

type ListType = 'atomic' | 'set' | 'map';

type TypedNode =
  | { kind: 'scalar' }
  | { kind: 'atomic' }
  | { kind: 'map'; fields: Record<string, Schema>; element: Schema | undefined }
  | { kind: 'list'; listType: ListType; keys: string[]; items: Schema | undefined };

const EMBEDDED_FIELDS: Record<string, Schema> = {
  apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: OBJECT_META_SCHEMA,
};

/** How structured-merge-diff sees a node; without a schema the type is deduced from the value. */
function typedNode(schema: Schema | undefined, value: unknown): TypedNode {
  if (!schema || (schema.type === undefined && preservesUnknownFields(schema) && !schema.properties)) {
    if (isObject(value)) return { kind: 'map', fields: {}, element: undefined };
    return Array.isArray(value) ? { kind: 'atomic' } : { kind: 'scalar' };
  }
  if (schema['x-kubernetes-int-or-string'] === true) return { kind: 'scalar' };
  if (schema.type === 'array') {
    const listType = (schema['x-kubernetes-list-type'] as ListType | undefined) ?? 'atomic';
    if (listType === 'atomic') return { kind: 'atomic' };
    const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : [];
    return { kind: 'list', listType, keys, items: itemsSchema(schema) };
  }
  if (schema.type === 'object' || schema.properties) {
    if (schema['x-kubernetes-map-type'] === 'atomic') return { kind: 'atomic' };
    const fields = schema['x-kubernetes-embedded-resource'] === true
      ? { ...schemaProperties(schema), ...EMBEDDED_FIELDS }
      : schemaProperties(schema);
    return { kind: 'map', fields, element: additionalPropertiesSchema(schema) };
  }
  return { kind: 'scalar' };
}

interface Child {
  element: string;
  value: unknown;
  schema: Schema | undefined;
  /** A map key the schema does not name as a field (a label, a setting under preserve-unknown-fields). */
  undeclared: boolean;
}

function childrenOf(node: TypedNode, value: unknown): Child[] {
  if (node.kind === 'map' && isObject(value)) {
    return Object.entries(value).map(([key, item]) => {
      const declared = key in node.fields;
      return { element: fieldElement(key), value: item, schema: declared ? node.fields[key] : node.element, undeclared: !declared };
    });
  }
  if (node.kind === 'list' && Array.isArray(value)) {
    return value.map((item) => ({
      element: node.listType === 'map' && isObject(item) ? keyElement(item, node.keys, keyDefaults(node.items)) : valueElement(item),
      value: item,
      schema: node.items,
      undeclared: false,
    }));
  }
  return [];
}

function keyDefaults(items: Schema | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schemaProperties(items)).map(([name, property]) => [name, property.default]));
}

/** The set an applied configuration owns (structured-merge-diff `ToFieldSet`). */
export function toFieldSet(value: unknown, schema: Schema | undefined, prefix: FieldPath = [], into: FieldSet = new Set()): FieldSet {
  const node = typedNode(schema, value);
  if (node.kind === 'scalar' || node.kind === 'atomic') {
    if (prefix.length > 0) into.add(pathKey(prefix));
    return into;
  }
  for (const child of childrenOf(node, value)) {
    const path = [...prefix, child.element];
    toFieldSet(child.value, child.schema, path, into);
    const emptyMap = isObject(child.value) && Object.keys(child.value).length === 0;
    if (node.kind === 'list' || child.value === null || emptyMap || child.undeclared) into.add(pathKey(path));
  }
  return into;
}

interface FlatNode {
  leaf: boolean;
  value: unknown;
}

function flatten(value: unknown, schema: Schema | undefined, prefix: FieldPath, into: Map<string, FlatNode>): Map<string, FlatNode> {
  const node = typedNode(schema, value);
  const leaf = node.kind === 'scalar' || node.kind === 'atomic';
  if (prefix.length > 0) into.set(pathKey(prefix), { leaf, value });
  if (!leaf) for (const child of childrenOf(node, value)) flatten(child.value, child.schema, [...prefix, child.element], into);
  return into;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `before` to `after`, path by path (structured-merge-diff `Compare`). */
export function compare(before: unknown, after: unknown, schema: Schema): Comparison {
  const old = flatten(before, schema, [], new Map());
  const next = flatten(after, schema, [], new Map());
  const result: Comparison = { added: new Set(), modified: new Set(), removed: new Set() };
  for (const [key, node] of next) {
    const previous = old.get(key);
    if (!previous) result.added.add(key);
    else if ((node.leaf || previous.leaf) && !deepEqual(node.value, previous.value)) result.modified.add(key);
  }
  for (const key of old.keys()) if (!next.has(key)) result.removed.add(key);
  return result;
}

/** Merges an applied configuration into the live object (structured-merge-diff `Merge`). */
export function merge(live: unknown, config: unknown, schema: Schema | undefined): unknown {
  if (config === undefined) return structuredClone(live);
  const node = typedNode(schema, config);
  if (node.kind === 'map' && isObject(config)) {
    const result: JsonObject = isObject(live) ? structuredClone(live) : {};
    for (const child of childrenOf(node, config)) {
      const key = child.element.slice(2);
      if (child.value === null) delete result[key];
      else result[key] = merge(isObject(live) ? live[key] : undefined, child.value, child.schema);
    }
    return result;
  }
  if (node.kind === 'list' && Array.isArray(config)) {
    const result: unknown[] = Array.isArray(live) ? structuredClone(live) : [];
    const elementOf = (item: unknown) => childrenOf(node, [item])[0]!.element;
    for (const item of config) {
      const element = elementOf(item);
      const index = result.findIndex((existing) => elementOf(existing) === element);
      if (index === -1) result.push(structuredClone(item));
      else result[index] = node.listType === 'map' ? merge(result[index], item, node.items) : structuredClone(item);
    }
    return result;
  }
  return structuredClone(config);
}

/**
 * Removes the given paths from an object in place. Parents left empty by the removal go too,
 * unless `keep` (the fields still owned) names them.
 */
export function removePaths(object: JsonObject, paths: FieldPath[], schema: Schema, keep: FieldSet): void {
  for (const path of paths) removePath(object, path, schema, keep);
}

function removePath(root: JsonObject, path: FieldPath, schema: Schema, keep: FieldSet): void {
  const trail: Array<{ container: unknown; element: string; schema: Schema | undefined }> = [];
  let current: unknown = root;
  let currentSchema: Schema | undefined = schema;
  for (const element of path) {
    const node = typedNode(currentSchema, current);
    const child = childrenOf(node, current).find((candidate) => candidate.element === element);
    if (!child) return;
    trail.push({ container: current, element, schema: currentSchema });
    current = child.value;
    currentSchema = child.schema;
  }
  const last = trail[trail.length - 1];
  if (!last) return;
  deleteChild(last.container, last.element, last.schema);
  for (let depth = trail.length - 2; depth >= 0; depth -= 1) {
    const emptied = trail[depth + 1]!.container;
    const empty = (isObject(emptied) && Object.keys(emptied).length === 0) || (Array.isArray(emptied) && emptied.length === 0);
    if (!empty || keep.has(pathKey(path.slice(0, depth + 1)))) return;
    deleteChild(trail[depth]!.container, trail[depth]!.element, trail[depth]!.schema);
  }
}

function deleteChild(container: unknown, element: string, schema: Schema | undefined): void {
  if (isObject(container)) {
    delete container[element.slice(2)];
    return;
  }
  if (Array.isArray(container)) {
    const index = childrenOf(typedNode(schema, container), container).findIndex((child) => child.element === element);
    if (index !== -1) container.splice(index, 1);
  }
}
