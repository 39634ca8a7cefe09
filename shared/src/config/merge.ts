/**
 * Deep merge used by per-target overrides. The rules are few on purpose:
 * mappings merge key by key, lists and scalars replace, and `null` removes the field.
 */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isMapping(base) || !isMapping(patch)) return clone(patch);
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = key in merged ? deepMerge(merged[key], value) : clone(value);
  }
  return merged;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isMapping(value)) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== null) copy[key] = clone(item);
    return copy;
  }
  return value;
}
