/**
 * The health gates of a wave. Applied+ready is what makes a cluster count as updated; the
 * others are reported per cluster by the controller from fleet state.
 */
export const HealthGate = {
  /** The cluster applied the rollout's revision and reports ready. */
  AppliedAndReady: 'appliedAndReady',
  /** No drift appeared after the cluster received the revision. */
  NoNewDrift: 'noNewDrift',
  /** No federation/multicluster link failed after the cluster received the revision. */
  NoNewLinkFailures: 'noNewLinkFailures',
  /** No critical alert fires for the cluster. */
  NoCriticalAlerts: 'noCriticalAlerts',
} as const;
export type HealthGate = (typeof HealthGate)[keyof typeof HealthGate];

/** Gates a cluster reports on besides applied+ready. */
export const REPORTED_GATES = [HealthGate.NoNewDrift, HealthGate.NoNewLinkFailures, HealthGate.NoCriticalAlerts] as const;
export type ReportedGate = (typeof REPORTED_GATES)[number];
