import { HIDDEN_VALUE, type DriftField, type DriftItem } from '../drift.js';

/**
 * Replaces every value a report could leak with HIDDEN_VALUE (drift.ts): all values of a
 * Secret, values under `data`/`stringData` paths or paths naming a password, token or key,
 * and, at any depth inside object-valued fields, every member whose key says the same
 * (`desired: { password: ... }`). The agent calls this before sending; the hub calls it
 * again before storing, so a faulty agent cannot put a secret into fleet state.
 */
export function hideSecretValues(items: DriftItem[]): DriftItem[] {
  return items.map((item) => {
    const wholeObjectSecret = item.subject.kind === 'Secret' && item.subject.group === '';
    return {
      ...item,
      fields: item.fields.map((field) =>
        wholeObjectSecret || isSecretPath(field.path)
          ? hideField(field)
          : hideNested(field)),
    };
  });
}

const SECRET_PATH = /(^|\/)(data|stringData)(\/|$)|password|passwd|token|secret|private[-_]?key|credentials/i;
/** A member name that holds a secret when it appears inside a value. */
const SECRET_KEY = /^(data|stringData)$|password|passwd|token|secret|private[-_]?key|credentials/i;

function isSecretPath(path: string): boolean {
  return SECRET_PATH.test(path);
}

function hideField(field: DriftField): DriftField {
  const hidden: DriftField = { path: field.path };
  if (field.desired !== undefined) hidden.desired = HIDDEN_VALUE;
  if (field.live !== undefined) hidden.live = HIDDEN_VALUE;
  return hidden;
}

function hideNested(field: DriftField): DriftField {
  if (!isContainer(field.desired) && !isContainer(field.live)) return field;
  const hidden: DriftField = { path: field.path };
  if (field.desired !== undefined) hidden.desired = hideSecretMembers(field.desired);
  if (field.live !== undefined) hidden.live = hideSecretMembers(field.live);
  return hidden;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** A copy of `value` with every member under a secret-looking key hidden, at any depth. */
function hideSecretMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hideSecretMembers);
  if (!isContainer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, SECRET_KEY.test(key) ? HIDDEN_VALUE : hideSecretMembers(member)]));
}
