/**
 * The rollout policy as the rollout core reads it, and the cluster selector it matches
 * clusters with. The fleet repository's RolloutPolicy document is parsed and validated by
 * the config model in `shared/`; this is the minimal shape the core needs from it.
 */

/** The health checks a wave must pass before it counts as done. */
export const HealthGate = {
  /** The cluster applied the rollout's revision and reports ready. Always checked. */
  AppliedReady: 'appliedReady',
  /** No drift appeared after the cluster received the revision. */
  NoNewDrift: 'noNewDrift',
  /** No federation/multicluster link failed after the cluster received the revision. */
  NoNewLinkFailures: 'noNewLinkFailures',
  /** No critical alert fires for the cluster. */
  NoCriticalAlert: 'noCriticalAlert',
} as const;
export type HealthGate = (typeof HealthGate)[keyof typeof HealthGate];

/** Gates a cluster reports on besides applied+ready (the reducer tracks these per cluster). */
export const REPORTED_GATES = [HealthGate.NoNewDrift, HealthGate.NoNewLinkFailures, HealthGate.NoCriticalAlert] as const;
export type ReportedGate = (typeof REPORTED_GATES)[number];

export interface SelectorExpression {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** Which clusters a wave takes. Every given criterion must hold; an empty selector takes all. */
export interface ClusterSelector {
  names?: string[];
  regions?: string[];
  labels?: Record<string, string>;
  expressions?: SelectorExpression[];
}

export interface RolloutWavePolicy {
  name: string;
  selector: ClusterSelector;
  /** How many of the wave's clusters may update at once: a count, or a percentage such as `'25%'`. */
  maxParallel: number | `${number}%`;
  /** How long the wave must stay healthy after its last cluster became ready. */
  bakeTimeMs: number;
  /** How long the wave may take, from its start, to have every cluster applied and healthy. */
  deadlineMs: number;
  /** Gates checked besides applied+ready; all of them when absent. */
  gates?: ReportedGate[];
}

/** A weekly recurring window: on each listed day from `start` to `end` local time. */
export interface WeeklyBlackout {
  kind: 'weekly';
  name?: string;
  days: Weekday[];
  /** `HH:MM`, local time in `timeZone`. */
  start: string;
  /** `HH:MM` (`24:00` allowed); a value not after `start` means the window runs past midnight. */
  end: string;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  timeZone: string;
}

/** An absolute window between two instants (ISO 8601 with an offset). */
export interface DateRangeBlackout {
  kind: 'dates';
  name?: string;
  start: string;
  end: string;
}

export type BlackoutWindow = WeeklyBlackout | DateRangeBlackout;
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface RolloutPolicy {
  name: string;
  waves: RolloutWavePolicy[];
  /** What happens when a wave fails: hold the rollout, or give every changed cluster the last good revision. */
  failurePolicy: 'pause' | 'rollback';
  /** Clusters that no wave selects: added to the last wave, or left out of rollouts. */
  unselectedClusters: 'lastWave' | 'excluded';
  blackouts: BlackoutWindow[];
}

/** What the planner needs to know about a cluster of the fleet. */
export interface FleetCluster {
  name: string;
  region: string;
  labels: Record<string, string>;
}

export function selectorMatches(selector: ClusterSelector, cluster: FleetCluster): boolean {
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.regions && !selector.regions.includes(cluster.region)) return false;
  for (const [key, value] of Object.entries(selector.labels ?? {})) {
    if (cluster.labels[key] !== value) return false;
  }
  return (selector.expressions ?? []).every((expression) => expressionMatches(expression, cluster.labels));
}

function expressionMatches(expression: SelectorExpression, labels: Record<string, string>): boolean {
  const value = labels[expression.key];
  switch (expression.operator) {
    case 'In':
      return value !== undefined && (expression.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(expression.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
  }
}
