/**
 * The rollout policy as the rollout core reads it: the shape of the validated
 * `RolloutPolicy` value the fleet config model in `shared/src/config` produces
 * (`fleet.rolloutPolicies`), limited to the fields the core uses, and the selector
 * match. Kept structurally identical so the shared type replaces it by an import.
 */

export type MaxParallel = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** Which clusters a wave takes. Every given field must hold. */
export interface ClusterSelector {
  all?: true;
  names?: string[];
  regions?: string[];
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface RolloutWave {
  name: string;
  selector: ClusterSelector;
  /** How many clusters of the wave update at once; unset means all of them. */
  maxParallel: MaxParallel | undefined;
  /** How long the wave must stay healthy before the next one starts. */
  bakeTimeSeconds: number;
  /** How long the wave may take to pass its gates; unset means no limit. */
  deadlineSeconds: number | undefined;
}

/** Which gates a wave must pass (all true unless the policy says otherwise). */
export interface RolloutGates {
  appliedAndReady: boolean;
  noNewDrift: boolean;
  noNewLinkFailures: boolean;
  noCriticalAlerts: boolean;
}

export type Weekday = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun';

/** On each listed day from `from` to `to` (`HH:MM`); `to` not after `from` runs past midnight. */
export interface WeeklyWindow {
  days: Weekday[];
  from: string;
  to: string;
}

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` in the policy's time zone; a bare date means the whole day. */
export interface DateWindow {
  from: string;
  to: string;
}

export interface Blackouts {
  /** IANA time zone every window is written in. */
  timeZone: string;
  weekly: WeeklyWindow[];
  dates: DateWindow[];
}

export interface RolloutPolicy {
  name: string;
  waves: RolloutWave[];
  gates: RolloutGates;
  onFailure: 'pause' | 'rollback';
  unselectedClusters: 'lastWave' | 'excluded';
  blackouts: Blackouts | undefined;
}

/** What the planner needs to know about a cluster of the fleet. */
export interface ClusterInfo {
  name: string;
  region: string;
  labels: Record<string, string>;
}

/** True when every field of the selector matches the cluster (fields AND, entries OR). */
export function selects(selector: ClusterSelector, cluster: ClusterInfo): boolean {
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.regions && !selector.regions.includes(cluster.region)) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (cluster.labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((requirement) => {
    const value = cluster.labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In': return value !== undefined && values.includes(value);
      case 'NotIn': return value === undefined || !values.includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
    }
  });
}
