import { HIDDEN_VALUE, type DriftField, type DriftItem } from '../drift.js';

/**
 * Replaces every value a report could leak with HIDDEN_VALUE (drift.ts): all values of a Secret, and
 * values under `data`/`stringData` paths or paths naming a password, token or key. The
 * agent calls this before sending; the hub calls it again before storing, so a faulty
 * agent cannot put a secret into fleet state.
 */
export function hideSecretValues(items: DriftItem[]): DriftItem[] {
  return items.map((item) => {
    const wholeObjectSecret = item.subject.kind === 'Secret' && item.subject.group === '';
    return {
      ...item,
      fields: item.fields.map((field) =>
        wholeObjectSecret || isSecretPath(field.path)
          ? hideField(field)
          : field),
    };
  });
}

const SECRET_PATH = /(^|\/)(data|stringData)(\/|$)|password|passwd|token|secret|private[-_]?key|credentials/i;

function isSecretPath(path: string): boolean {
  return SECRET_PATH.test(path);
}

function hideField(field: DriftField): DriftField {
  const hidden: DriftField = { path: field.path };
  if (field.desired !== undefined) hidden.desired = HIDDEN_VALUE;
  if (field.live !== undefined) hidden.live = HIDDEN_VALUE;
  return hidden;
}
