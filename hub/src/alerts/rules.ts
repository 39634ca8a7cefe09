import { AlertSeverity } from '@netfleet/shared';

/** The alert rules; each fires on one transition and resolves on the opposite one. */
export enum AlertRule {
  /** A drift report lists drifted objects; resolved by one that lists none. */
  DriftDetected = 'NetfleetDriftDetected',
  /** A sync failed; resolved by a successful sync. */
  SyncFailed = 'NetfleetSyncFailed',
  /** Two heartbeats missed; resolved by the next report. */
  ClusterOffline = 'NetfleetClusterOffline',
  /** A report was refused (bad signature, replay, unknown or revoked cluster, bad body). */
  ReportRejected = 'NetfleetReportRejected',
  /** A rollout is paused (by a person or its failure policy); resolved when it leaves the pause. */
  RolloutPaused = 'NetfleetRolloutPaused',
  /** A rollout failed and its policy could not handle it; resolved when it leaves that state. */
  RolloutFailed = 'NetfleetRolloutFailed',
  /** A rollout was rolled back; resolved when a later rollout finishes. */
  RolloutRolledBack = 'NetfleetRolloutRolledBack',
  /** Links into or out of a region or cluster fail from several peers; resolved when they recover. */
  LinkPartition = 'NetfleetLinkPartition',
  /** A link finding no partition explains (asymmetric, stale, broken, missing, expiring certificate, ...). */
  LinkProblem = 'NetfleetLinkProblem',
}

const SEVERITY: Record<AlertRule, AlertSeverity> = {
  [AlertRule.DriftDetected]: AlertSeverity.Warning,
  [AlertRule.SyncFailed]: AlertSeverity.Critical,
  [AlertRule.ClusterOffline]: AlertSeverity.Critical,
  [AlertRule.ReportRejected]: AlertSeverity.Warning,
  [AlertRule.RolloutPaused]: AlertSeverity.Warning,
  [AlertRule.RolloutFailed]: AlertSeverity.Critical,
  [AlertRule.RolloutRolledBack]: AlertSeverity.Critical,
  [AlertRule.LinkPartition]: AlertSeverity.Critical,
  [AlertRule.LinkProblem]: AlertSeverity.Warning,
};

/** The severity a rule's alerts carry. */
export function severityOf(rule: AlertRule): AlertSeverity {
  return SEVERITY[rule];
}

/** One alert condition as the engine fires or resolves it. */
export interface AlertCondition {
  rule: AlertRule;
  /** Stable identity: the same condition always has the same fingerprint. */
  fingerprint: string;
  severity: AlertSeverity;
  summary: string;
  labels: Record<string, string>;
}

/** What identifies the cluster in alert labels. */
export interface ClusterLabels {
  cluster: string;
  region: string;
  revision: string;
}

export function alertFingerprint(rule: AlertRule, cluster: string, detail = ''): string {
  return detail ? `${rule}:${cluster}:${detail}` : `${rule}:${cluster}`;
}

/**
 * One alert condition. `detail` splits one rule into several alerts per cluster (report
 * rejections are one alert per reason); other rules have one alert per cluster.
 */
export function condition(rule: AlertRule, target: ClusterLabels, summary: string, extra: Record<string, string> = {}, detail = ''): AlertCondition {
  return {
    rule,
    fingerprint: alertFingerprint(rule, target.cluster, detail),
    severity: SEVERITY[rule],
    summary,
    labels: {
      alertname: rule, severity: SEVERITY[rule], cluster: target.cluster, region: target.region,
      revision: target.revision, ...extra,
    },
  };
}
