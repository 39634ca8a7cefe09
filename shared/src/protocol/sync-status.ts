import { ErrorClass, SyncReason } from '../reasons.js';

/**
 * The sync-status contract between agent and hub, defined once: every sync reason belongs to
 * exactly one status, the agent reports that status, the hub checks the pair when a report
 * arrives and its rollouts act on the status alone (docs/protocol.md, "Sync status").
 */
export enum SyncStatus {
  /** Everything rendered is in the cluster. */
  Succeeded = 'succeeded',
  /** Held by something the cluster does first (a module's CRDs, a namespace going away, controllers reconciling): no failure. */
  Progressing = 'progressing',
  /** Failed for now; the agent retries by itself. A rollout waits for it, up to the wave's deadline. */
  FailedTransient = 'failed-transient',
  /** Retrying this revision cannot help: a rollout fails the cluster at once. */
  FailedTerminal = 'failed-terminal',
}

/** The status each reason is reported with. */
export const reasonStatus: Readonly<Record<SyncReason, SyncStatus>> = {
  [SyncReason.Succeeded]: SyncStatus.Succeeded,
  [SyncReason.FetchFailed]: SyncStatus.FailedTransient,
  [SyncReason.SignatureInvalid]: SyncStatus.FailedTerminal,
  [SyncReason.RenderFailed]: SyncStatus.FailedTerminal,
  [SyncReason.ValidationFailed]: SyncStatus.FailedTerminal,
  [SyncReason.ApplyFailed]: SyncStatus.FailedTransient,
  [SyncReason.ConflictDetected]: SyncStatus.FailedTerminal,
  [SyncReason.WaitingForModule]: SyncStatus.Progressing,
  [SyncReason.WaitingForNamespace]: SyncStatus.Progressing,
  [SyncReason.PruneLimitExceeded]: SyncStatus.FailedTerminal,
  [SyncReason.PruneFailed]: SyncStatus.FailedTransient,
  [SyncReason.HealthCheckFailed]: SyncStatus.FailedTransient,
  [SyncReason.WaitingForReadiness]: SyncStatus.Progressing,
  [SyncReason.ClusterUnreachable]: SyncStatus.FailedTransient,
};

/** How the agent retries each status: what the status promises the hub. */
const retryOf: Readonly<Record<SyncStatus, ErrorClass | undefined>> = {
  [SyncStatus.Succeeded]: undefined,
  [SyncStatus.Progressing]: ErrorClass.RetryLater,
  [SyncStatus.FailedTransient]: ErrorClass.Transient,
  [SyncStatus.FailedTerminal]: ErrorClass.Terminal,
};

/** The retry class of each reason, following from its status. */
export const reasonClass: Readonly<Record<SyncReason, ErrorClass | undefined>> = Object.fromEntries(
  Object.values(SyncReason).map((reason) => [reason, retryOf[reasonStatus[reason]]]),
) as Record<SyncReason, ErrorClass | undefined>;

/** A failed sync, transient or terminal (what raises the sync-failed alert). */
export function isFailedStatus(status: SyncStatus): boolean {
  return status === SyncStatus.FailedTransient || status === SyncStatus.FailedTerminal;
}
