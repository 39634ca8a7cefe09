import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level: equal values, equal text. Members whose value
 * is undefined are left out (in arrays they are `null`, as in JSON). Plain JSON data (what
 * reports and rendered objects are) takes the fast way: a copy with its keys in order,
 * serialized natively; anything else is written out value by value.
 */
export function canonicalJson(value: unknown): string {
  const ordered = inKeyOrder(value);
  return ordered === NOT_PLAIN ? canonicalText(value) : JSON.stringify(ordered) ?? 'null';
}

/**
 * `value` with every object's keys in sorted order, as `canonicalJson` writes them: the
 * value itself when its keys are in order already or when it is not plain JSON data. Data
 * kept in this order costs `canonicalJson` no copy.
 */
export function inCanonicalOrder<T>(value: T): T {
  const ordered = inKeyOrder(value);
  return ordered === NOT_PLAIN ? value : (ordered as T);
}

const NOT_PLAIN: unique symbol = Symbol('not plain JSON data');
/** The first key of an object with integer-like keys: V8 lists those first, whatever their order as strings. */
const INTEGER_KEY = /^\d+$/;

/**
 * `value` with every object's keys in sorted order (objects already in order are kept,
 * not copied), or NOT_PLAIN when JSON.stringify would write it otherwise than
 * `canonicalText`: integer-like keys (kept first by the engine), functions, symbols,
 * bigints, objects other than plain ones and arrays (dates, maps, anything with toJSON).
 */
function inKeyOrder(value: unknown): unknown {
  switch (typeof value) {
    case 'function': case 'symbol': case 'bigint': return NOT_PLAIN;
    case 'object': break;
    default: return value;
  }
  if (value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      const item = inKeyOrder(value[index]);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      if (item !== value[index]) (copy ??= value.slice())[index] = item;
    }
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return NOT_PLAIN;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 0 && INTEGER_KEY.test(keys[0]!)) return NOT_PLAIN;
  let sorted = true;
  for (let index = 1; index < keys.length && sorted; index += 1) sorted = keys[index - 1]! < keys[index]!;
  if (!sorted) keys.sort();
  let copy: Record<string, unknown> | undefined = sorted ? undefined : {};
  for (const key of keys) {
    const item = inKeyOrder(record[key]);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (copy) copy[key] = item;
    else if (item !== record[key]) copy = { ...record, [key]: item };
  }
  return copy ?? record;
}

/** The canonical text written out value by value, for what is not plain JSON data. */
function canonicalText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i += 1) text += (i === 0 ? '' : ',') + canonicalText(value[i]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonicalText(item)}`;
  }
  return `${text}}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 of the canonical JSON of a value. */
export function contentHash(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** The hash of an ordered object set: sha256 over `id hash` lines. */
export function setHash(objects: readonly { id: string; hash: string }[]): string {
  return sha256(objects.map((object) => `${object.id} ${object.hash}\n`).join(''));
}
