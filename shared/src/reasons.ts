/**
 * The closed set of reasons a sync or an object can be in its state, and how a failure
 * is retried. Logs, events, metrics and reports use these values, never free strings.
 */
export enum SyncReason {
  /** Everything rendered was applied (or unchanged), pruned and checked. */
  Succeeded = 'Succeeded',
  /** The repository could not be fetched or the revision could not be read. */
  FetchFailed = 'FetchFailed',
  /** The revision's signature is missing or untrusted under `enforce`. */
  SignatureInvalid = 'SignatureInvalid',
  /** The fleet configuration could not be loaded or rendered for this cluster. */
  RenderFailed = 'RenderFailed',
  /** A rendered object was refused by the API server's validation (dry run). */
  ValidationFailed = 'ValidationFailed',
  /** One or more objects could not be applied. */
  ApplyFailed = 'ApplyFailed',
  /** Another field manager owns fields the document sets and the document does not say `force`. */
  ConflictDetected = 'ConflictDetected',
  /** One or more kinds are not served yet (their module's CRD is missing). */
  WaitingForModule = 'WaitingForModule',
  /** One or more objects belong in a namespace that is being deleted: created once it is gone. */
  WaitingForNamespace = 'WaitingForNamespace',
  /** The sync would delete more than the allowed share of the inventory. */
  PruneLimitExceeded = 'PruneLimitExceeded',
  /** One or more stale objects could not be deleted. */
  PruneFailed = 'PruneFailed',
  /** Applied objects did not become ready within the health timeout, or report a failure (Stalled). */
  HealthCheckFailed = 'HealthCheckFailed',
  /**
   * Everything applied; some objects are still being reconciled by their controller
   * (status.observedGeneration behind, Ready not yet True) and no health timeout has passed.
   */
  WaitingForReadiness = 'WaitingForReadiness',
  /** The cluster API could not be reached or kept failing. */
  ClusterUnreachable = 'ClusterUnreachable',
}

/** How the agent retries after a failure. */
export enum ErrorClass {
  /** Retry soon with exponential backoff (network, 5xx, throttling). */
  Transient = 'transient',
  /** Retry at the next interval; something else has to happen first (a CRD to appear). */
  RetryLater = 'retry-later',
  /** Retrying the same revision cannot help (invalid config, conflicts): wait for a new one. */
  Terminal = 'terminal',
}

/** The retry class of each reason, defined once. */
export const reasonClass: Record<SyncReason, ErrorClass | undefined> = {
  [SyncReason.Succeeded]: undefined,
  [SyncReason.FetchFailed]: ErrorClass.Transient,
  [SyncReason.SignatureInvalid]: ErrorClass.Terminal,
  [SyncReason.RenderFailed]: ErrorClass.Terminal,
  [SyncReason.ValidationFailed]: ErrorClass.Terminal,
  [SyncReason.ApplyFailed]: ErrorClass.Transient,
  [SyncReason.ConflictDetected]: ErrorClass.Terminal,
  [SyncReason.WaitingForModule]: ErrorClass.RetryLater,
  [SyncReason.WaitingForNamespace]: ErrorClass.RetryLater,
  [SyncReason.PruneLimitExceeded]: ErrorClass.Terminal,
  [SyncReason.PruneFailed]: ErrorClass.Transient,
  [SyncReason.HealthCheckFailed]: ErrorClass.RetryLater,
  [SyncReason.WaitingForReadiness]: ErrorClass.RetryLater,
  [SyncReason.ClusterUnreachable]: ErrorClass.Transient,
};

/** Readiness of one applied object, read from its status. */
export enum Readiness {
  Ready = 'Ready',
  InProgress = 'InProgress',
  Failed = 'Failed',
  /** The kind has no status netfleet can read; treated as ready. */
  Unknown = 'Unknown',
}
