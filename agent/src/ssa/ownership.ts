import type { ApplyPolicy, KubeObject } from '@netfleet/shared';
import type { FieldConflict } from '../errors.js';
import { getPointer, jsonEqual, removePointer } from './diff.js';
import { pointerOf } from './field-path.js';

/**
 * Who owns the fields netfleet sets. Like Flux, a sync takes ownership back (server-side
 * apply `force`) for objects whose drift policy is `correct`, or that say `force`; an
 * `alert` object leaves another manager's value in place and reports it as drift, and
 * only a revision that changes such a field is a conflict.
 */

/** The drift policy in effect: the agent's `--drift-mode` overrides each document's. */
export function driftPolicy(policy: ApplyPolicy, driftMode?: 'correct' | 'alert'): 'correct' | 'alert' {
  return driftMode ?? policy.drift;
}

/** True when applying this object takes over fields other managers own. */
export function takesOwnership(policy: ApplyPolicy, driftMode?: 'correct' | 'alert'): boolean {
  return policy.force || driftPolicy(policy, driftMode) === 'correct';
}

/** The value of a conflicting field in an object (undefined when absent or not followable). */
function valueAt(object: KubeObject | undefined, field: string): unknown {
  if (!object) return undefined;
  const pointer = pointerOf(object, field);
  return pointer === undefined ? undefined : getPointer(object as never, pointer);
}

/**
 * Splits conflicts into those this revision causes (it sets a value different from the
 * one the previously applied revision set) and those another manager caused by editing
 * the object since (the revision sets what it set before). Without the previous object
 * (not applied before, or its revision cannot be read) every conflict is the revision's.
 */
export function splitConflicts(conflicts: FieldConflict[], desired: KubeObject, previous: KubeObject | undefined): { changed: FieldConflict[]; edited: FieldConflict[] } {
  const changed: FieldConflict[] = [];
  const edited: FieldConflict[] = [];
  for (const conflict of conflicts) {
    const unchanged = previous !== undefined && pointerOf(previous, conflict.field) !== undefined
      && jsonEqual(valueAt(desired, conflict.field), valueAt(previous, conflict.field));
    (unchanged ? edited : changed).push(conflict);
  }
  return { changed, edited };
}

/**
 * The object without the conflicting fields: the other manager took them over (netfleet
 * no longer owns them), so leaving them out of the apply removes nothing and leaves the
 * other manager's values, and ownership, as they are.
 */
export function leaveToOwners(object: KubeObject, conflicts: FieldConflict[]): KubeObject {
  const left = structuredClone(object);
  for (const { field } of conflicts) {
    const pointer = pointerOf(left, field);
    if (pointer !== undefined) removePointer(left as never, pointer);
  }
  return left;
}

/** `.spec.x (conflict with "kubectl" using v1), ...`: each field and the manager that owns it. */
export function describeConflicts(conflicts: FieldConflict[]): string {
  return conflicts.map((conflict) => `${conflict.field} (${conflict.message || 'owned by another field manager'})`).join(', ');
}

/** The error text of a revision that changes fields another manager owns, with what to do. */
export function conflictMessage(conflicts: FieldConflict[]): string {
  return `this revision changes fields another field manager owns: ${describeConflicts(conflicts)}; `
    + 'to resolve, set `policy.force: true` (or `drift: correct`) on the document to take them over, '
    + 'remove the fields from the document, or have that manager stop setting them';
}
