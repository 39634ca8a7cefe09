import { REPORTED_GATES, selectorMatches, type FleetCluster, type ReportedGate, type RolloutPolicy } from './policy.js';

/** One wave of a rollout plan: the clusters it updates and the limits it runs under. */
export interface PlannedWave {
  name: string;
  /** Cluster names, sorted, so the same fleet always gives the same plan. */
  clusters: string[];
  /** The percentage or count of the policy resolved to a count (at least 1). */
  maxParallel: number;
  bakeTimeMs: number;
  deadlineMs: number;
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
export function planRollout(policy: RolloutPolicy, fleet: readonly FleetCluster[]): RolloutPlan {
  const members: string[][] = policy.waves.map(() => []);
  const unselected: string[] = [];
  for (const cluster of [...fleet].sort((a, b) => compare(a.name, b.name))) {
    const index = policy.waves.findIndex((wave) => selectorMatches(wave.selector, cluster));
    if (index === -1) unselected.push(cluster.name);
    else members[index]!.push(cluster.name);
  }
  const lastWave = members.at(-1);
  if (policy.unselectedClusters === 'lastWave' && lastWave) lastWave.push(...unselected);
  return {
    waves: policy.waves.map((wave, index) => {
      const clusters = members[index]!;
      return {
        name: wave.name,
        clusters,
        maxParallel: resolveMaxParallel(wave.maxParallel, clusters.length),
        bakeTimeMs: wave.bakeTimeMs,
        deadlineMs: wave.deadlineMs,
        gates: wave.gates ?? [...REPORTED_GATES],
      };
    }),
    excluded: policy.unselectedClusters === 'excluded' || !lastWave ? unselected : [],
  };
}

/** A count stays as is; a percentage is taken of the wave size, rounded up; never below 1. */
export function resolveMaxParallel(maxParallel: number | `${number}%`, waveSize: number): number {
  if (typeof maxParallel === 'number') return Math.max(1, Math.floor(maxParallel));
  const percent = Number(maxParallel.slice(0, -1));
  return Math.max(1, Math.ceil((percent * waveSize) / 100));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
