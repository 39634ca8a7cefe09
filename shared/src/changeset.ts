import type { ObjectRef } from './objects.js';

/**
 * What one apply, prune or drift pass did to each object. The same entries drive logs,
 * the in-cluster inventory, pruning and the reports sent to the hub.
 */
export enum Action {
  Created = 'created',
  Configured = 'configured',
  Unchanged = 'unchanged',
  Deleted = 'deleted',
  Skipped = 'skipped',
  Waiting = 'waiting',
  Failed = 'failed',
}

export interface ChangeSetEntry {
  subject: ObjectRef;
  action: Action;
  /** Why the entry is skipped, waiting or failed; never contains secret values. */
  message?: string;
}

export type ChangeSet = ChangeSetEntry[];
