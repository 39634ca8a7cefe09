/**
 * Field sets of server-side apply, as sigs.k8s.io/structured-merge-diff defines them: paths of
 * `f:<field>`, `k:<key fields as JSON>`, `v:<value as JSON>` elements, encoded in
 * `managedFields[].fieldsV1` with `.` marking a node that is itself a member.
 */
import { isObject, type JsonObject } from './json.js';

/** One path through an object: `['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}', 'f:name']`. */
export type FieldPath = string[];

/** A set of field paths; members are `JSON.stringify(path)`. */
export type FieldSet = Set<string>;

export function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

export function pathOf(key: string): FieldPath {
  return JSON.parse(key) as FieldPath;
}

export function fieldElement(name: string): string {
  return `f:${name}`;
}

/**
 * `k:{"name":"x"}` with the key fields sorted by name, as structured-merge-diff writes them;
 * a missing key field takes its schema default (`protocol: TCP` of Service ports).
 */
export function keyElement(item: JsonObject, keys: string[], defaults: Record<string, unknown> = {}): string {
  const fields = [...keys].sort()
    .map((key) => [key, item[key] ?? defaults[key]] as const)
    .filter(([, value]) => value !== undefined);
  return `k:${JSON.stringify(Object.fromEntries(fields))}`;
}

export function valueElement(value: unknown): string {
  return `v:${JSON.stringify(value)}`;
}

/** Decodes `fieldsV1` into a set. */
export function setFromFieldsV1(fields: unknown, prefix: FieldPath = [], into: FieldSet = new Set()): FieldSet {
  if (!isObject(fields)) return into;
  for (const [element, child] of Object.entries(fields)) {
    if (element === '.') {
      into.add(pathKey(prefix));
      continue;
    }
    const path = [...prefix, element];
    if (isObject(child) && Object.keys(child).length > 0) setFromFieldsV1(child, path, into);
    else into.add(pathKey(path));
  }
  return into;
}

interface FieldNode {
  member: boolean;
  children: Map<string, FieldNode>;
}

/** Encodes a set as `fieldsV1`. */
export function fieldsV1FromSet(set: FieldSet): JsonObject {
  const root: FieldNode = { member: false, children: new Map() };
  for (const key of set) {
    let node = root;
    for (const element of pathOf(key)) {
      let child = node.children.get(element);
      if (!child) {
        child = { member: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.member = true;
  }
  return encodeNode(root);
}

function encodeNode(node: FieldNode): JsonObject {
  const encoded: JsonObject = {};
  if (node.member && node.children.size > 0) encoded['.'] = {};
  for (const element of [...node.children.keys()].sort()) encoded[element] = encodeNode(node.children.get(element)!);
  return encoded;
}

/** `.spec.ports[port=80,protocol="TCP"].name`, the form conflicts are reported in. */
export function pathToString(path: FieldPath): string {
  return path.map((element) => {
    const body = element.slice(2);
    if (element.startsWith('f:')) return `.${body}`;
    if (element.startsWith('k:')) {
      const key = JSON.parse(body) as JsonObject;
      return `[${Object.entries(key).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(',')}]`;
    }
    if (element.startsWith('v:')) return `[=${body}]`;
    return `[${body}]`;
  }).join('');
}

export function union(...sets: FieldSet[]): FieldSet {
  const result = new Set<string>();
  for (const set of sets) for (const key of set) result.add(key);
  return result;
}

export function difference(a: FieldSet, b: FieldSet): FieldSet {
  return new Set([...a].filter((key) => !b.has(key)));
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  return new Set([...a].filter((key) => b.has(key)));
}

/** Drops every member equal to or below one of the given paths. */
export function withoutSubtrees(set: FieldSet, roots: FieldPath[]): FieldSet {
  return new Set([...set].filter((key) => {
    const path = pathOf(key);
    return !roots.some((root) => root.length <= path.length && root.every((element, index) => path[index] === element));
  }));
}

/** True when `ancestor` is a strict prefix of `path`. */
export function isAncestor(ancestor: FieldPath, path: FieldPath): boolean {
  return ancestor.length < path.length && ancestor.every((element, index) => path[index] === element);
}
