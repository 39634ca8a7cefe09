import { REPORTED_GATES, type ReportedGate } from './gates.js';
import { selects, type ClusterInfo, type MaxParallel, type RolloutPolicy } from '@netfleet/shared';

/** What the planner reads of a cluster: the fields wave selectors match on. */
export type PlanCluster = Pick<ClusterInfo, 'name' | 'region' | 'labels'>;

/** One wave of a rollout plan: the clusters it updates and the limits it runs under. */
export interface PlannedWave {
  name: string;
  /** Cluster names, sorted, so the same fleet always gives the same plan. */
  clusters: string[];
  /** The policy's count or percentage resolved to a count (at least 1). */
  maxParallel: number;
  bakeTimeMs: number;
  /** Null: the wave may take as long as it needs. */
  deadlineMs: number | null;
  /** A cluster counts as updated once applied and ready; without this, once applied. */
  requireReady: boolean;
  /** The reported gates the wave must pass. */
  gates: ReportedGate[];
}

export interface RolloutPlan {
  waves: PlannedWave[];
  /** Clusters left out of the rollout (no wave selects them and the policy excludes them). */
  excluded: string[];
}

/**
 * Splits the fleet into the policy's waves. A cluster belongs to the first wave whose
 * selector takes it; clusters no wave takes join the last wave or are excluded, as the
 * policy says. Percentages of maxParallel are taken of the wave's final size, rounded up.
 */
export function planRollout(policy: RolloutPolicy, fleet: readonly PlanCluster[]): RolloutPlan {
  const members: string[][] = policy.waves.map(() => []);
  const unselected: string[] = [];
  for (const cluster of [...fleet].sort((a, b) => compare(a.name, b.name))) {
    const index = policy.waves.findIndex((wave) => selects(wave.selector, cluster));
    if (index === -1) unselected.push(cluster.name);
    else members[index]!.push(cluster.name);
  }
  const lastWave = members.at(-1);
  // A loop, not a spread: a fleet's worth of arguments would overflow the call stack.
  if (policy.unselectedClusters === 'lastWave' && lastWave) for (const name of unselected) lastWave.push(name);
  const gates = REPORTED_GATES.filter((gate) => policy.gates[gate]);
  return {
    waves: policy.waves.map((wave, index) => {
      const clusters = members[index]!;
      return {
        name: wave.name,
        clusters,
        maxParallel: resolveMaxParallel(wave.maxParallel, clusters.length),
        bakeTimeMs: wave.bakeTimeSeconds * 1000,
        deadlineMs: wave.deadlineSeconds === undefined ? null : wave.deadlineSeconds * 1000,
        requireReady: policy.gates.appliedAndReady,
        gates,
      };
    }),
    excluded: policy.unselectedClusters === 'excluded' || !lastWave ? unselected : [],
  };
}

/** A count stays as is; a percentage is taken of the wave size, rounded up; unset is the whole wave; never below 1. */
export function resolveMaxParallel(maxParallel: MaxParallel | undefined, waveSize: number): number {
  if (maxParallel === undefined) return Math.max(1, waveSize);
  if (maxParallel.kind === 'count') return Math.max(1, Math.floor(maxParallel.count));
  return Math.max(1, Math.ceil((maxParallel.percent * waveSize) / 100));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
