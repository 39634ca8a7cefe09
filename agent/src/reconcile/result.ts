import type { ChangeSet, ErrorClass, SyncReason } from '@netfleet/shared';
import type { ObjectReadiness } from '../ssa/wait.js';

/** What one sync did: the value logs, metrics, events and reports are built from. */
export interface SyncResult {
  cluster: string;
  /** The revision this sync tried to apply ('' when the fetch failed before one was known). */
  revision: string;
  /** The revision the cluster is at after this sync (the last good one when nothing was applied). */
  appliedRevision: string;
  reason: SyncReason;
  /** How to retry; absent on success. */
  errorClass?: ErrorClass;
  /** What went wrong, for people; never contains secret values. */
  message?: string;
  /** Every object applied, unchanged, waiting, deleted, skipped or failed. */
  changeSet: ChangeSet;
  /** Modules whose kinds are not served yet, e.g. `istio`. */
  waitingFor: string[];
  readiness: ObjectReadiness[];
  /** When the sync started (ms since epoch) and how long it took. */
  startedAt: number;
  durationMs: number;
}
