/** Plain JSON helpers shared by the Kubernetes API test server modules. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of two JSON values (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]));
  }
  return false;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** The object at `object[key]`, created empty when absent. */
export function objectAt(object: JsonObject, key: string): JsonObject {
  const existing = object[key];
  if (isObject(existing)) return existing;
  const created: JsonObject = {};
  object[key] = created;
  return created;
}

/** `metadata` of a Kubernetes object (an empty object when absent). */
export function metadataOf(object: JsonObject): JsonObject {
  return isObject(object.metadata) ? object.metadata : {};
}

/** JSON type name the way kube-openapi reports it in validation messages. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A timestamp the way Kubernetes writes `metav1.Time`: RFC 3339, whole seconds, UTC. */
export function rfc3339Now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
