import type { ObjectRef } from './objects.js';

/** Shown instead of a Secret's values, in every drift item, diff, log and report. */
export const HIDDEN_VALUE = 'value changed, hidden';

/** One field that differs between what netfleet would apply and what the cluster has. */
export interface DriftField {
  /** JSON pointer (RFC 6901) of the field, e.g. `/spec/minReplicas`. */
  path: string;
  /** What netfleet would apply; absent when the field should not exist. */
  desired?: unknown;
  /** What the cluster has; absent when the field is missing. */
  live?: unknown;
}

/** One managed object that drifted from the repository. */
export interface DriftItem {
  /** Inventory id, `group_kind_namespace_name`. */
  id: string;
  subject: ObjectRef;
  /** `deleted`: the object is gone; `changed`: managed fields differ. */
  type: 'deleted' | 'changed';
  /** The differing fields (empty for `deleted`). */
  fields: DriftField[];
  /** What the agent does about it under the object's policy. */
  policy: 'correct' | 'alert';
  /**
   * The field managers that keep reverting these fields after each correction: the agent
   * backs off instead of fighting them in a loop. Absent when there is no fight.
   */
  fightingWith?: string[];
  /** For people: e.g. `fighting with manager "hpa" over /spec/replicas: ...; next correction in 20 s`. */
  message?: string;
}
