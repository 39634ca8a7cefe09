import { describe, expect, it } from 'vitest';
import { planRollout, resolveMaxParallel, type PlanCluster } from '../../src/rollout/plan.js';
import type { MaxParallel, RolloutPolicy, RolloutWave } from '@netfleet/shared';

const fleet: PlanCluster[] = [
  { name: 'eu-2', region: 'eu', labels: { tier: 'prod' } },
  { name: 'eu-1', region: 'eu', labels: { tier: 'prod', canary: 'true' } },
  { name: 'us-1', region: 'us', labels: { tier: 'prod' } },
  { name: 'us-2', region: 'us', labels: { tier: 'staging' } },
  { name: 'ap-1', region: 'ap', labels: {} },
];

const ALL_GATES = { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true };

function wave(name: string, selector: RolloutWave['selector'], maxParallel: MaxParallel | undefined = { kind: 'count', count: 1 }): RolloutWave {
  return { name, selector, maxParallel, bakeTimeSeconds: 60, deadlineSeconds: 600 };
}

function policy(waves: RolloutWave[], unselectedClusters: RolloutPolicy['unselectedClusters'], gates = ALL_GATES): RolloutPolicy {
  return { name: 'default', waves, gates, onFailure: 'pause', unselectedClusters, blackouts: undefined, source: { file: 'rollout/default.yaml', document: 'RolloutPolicy/default' } };
}

describe('planRollout', () => {
  it.each([
    {
      name: 'takes each cluster into the first wave that selects it, sorted by name',
      waves: [wave('canary', { matchLabels: { canary: 'true' } }), wave('eu', { regions: ['eu'] }), wave('us', { regions: ['us'] })],
      unselected: 'lastWave' as const,
      want: [['eu-1'], ['eu-2'], ['us-1', 'us-2', 'ap-1']],
      excluded: [],
    },
    {
      name: 'leaves unselected clusters out when the policy excludes them',
      waves: [wave('canary', { names: ['eu-1'] }), wave('us', { regions: ['us'] })],
      unselected: 'excluded' as const,
      want: [['eu-1'], ['us-1', 'us-2']],
      excluded: ['ap-1', 'eu-2'],
    },
    {
      name: 'matches label expressions',
      waves: [
        wave('staging', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['staging'] }] }),
        wave('unlabelled', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }),
        wave('prod-not-canary', { matchExpressions: [{ key: 'tier', operator: 'Exists' }, { key: 'canary', operator: 'NotIn', values: ['true'] }] }),
      ],
      unselected: 'excluded' as const,
      want: [['us-2'], ['ap-1'], ['eu-2', 'us-1']],
      excluded: ['eu-1'],
    },
    {
      name: 'requires every criterion of a selector',
      waves: [wave('eu-prod-canary', { regions: ['eu'], matchLabels: { canary: 'true' } }), wave('rest', { all: true })],
      unselected: 'excluded' as const,
      want: [['eu-1'], ['ap-1', 'eu-2', 'us-1', 'us-2']],
      excluded: [],
    },
    {
      name: 'keeps a wave that selects nothing, empty',
      waves: [wave('mars', { regions: ['mars'] }), wave('all', { all: true })],
      unselected: 'lastWave' as const,
      want: [[], ['ap-1', 'eu-1', 'eu-2', 'us-1', 'us-2']],
      excluded: [],
    },
  ])('$name', ({ waves, unselected, want, excluded }) => {
    const plan = planRollout(policy(waves, unselected), fleet);
    expect(plan.waves.map((planned) => planned.clusters)).toEqual(want);
    expect(plan.excluded).toEqual(excluded);
  });

  it('takes a percentage of the wave size after unselected clusters joined the last wave', () => {
    const plan = planRollout(policy([wave('canary', { names: ['eu-1'] }), wave('rest', { regions: ['us'] }, { kind: 'percent', percent: 50 })], 'lastWave'), fleet);
    expect(plan.waves[1]!.clusters).toHaveLength(4);
    expect(plan.waves[1]!.maxParallel).toBe(2);
  });

  it('adds 200,000 unselected clusters to the last wave', () => {
    const large = Array.from({ length: 200_000 }, (_, index): PlanCluster => ({ name: `c-${String(index).padStart(6, '0')}`, region: 'ap', labels: {} }));
    const plan = planRollout(policy([wave('canary', { names: ['c-000000'] }), wave('eu', { regions: ['eu'] })], 'lastWave'), large);
    expect(plan.waves[1]!.clusters).toHaveLength(199_999);
  });

  it('gives every wave the gates the policy turns on, in milliseconds and with no deadline when unset', () => {
    const plan = planRollout(policy([{ ...wave('a', { all: true }), deadlineSeconds: undefined }], 'excluded', { ...ALL_GATES, appliedAndReady: false, noNewLinkFailures: false }), fleet);
    expect(plan.waves[0]).toMatchObject({ gates: ['noNewDrift', 'noCriticalAlerts'], requireReady: false, bakeTimeMs: 60_000, deadlineMs: null });
  });

  it('updates the whole wave at once when maxParallel is unset', () => {
    expect(planRollout(policy([{ ...wave('all', { all: true }), maxParallel: undefined }], 'excluded'), fleet).waves[0]!.maxParallel).toBe(5);
  });
});

describe('resolveMaxParallel', () => {
  const count = (n: number): MaxParallel => ({ kind: 'count', count: n });
  const percent = (n: number): MaxParallel => ({ kind: 'percent', percent: n });
  it.each<[MaxParallel | undefined, number, number]>([
    [count(3), 10, 3],
    [count(0), 10, 1],
    [percent(25), 10, 3],
    [percent(10), 30, 3],
    [percent(50), 1, 1],
    [percent(1), 4, 1],
    [percent(100), 7, 7],
    [percent(20), 0, 1],
    [undefined, 6, 6],
    [undefined, 0, 1],
  ])('turns %j of a wave of %i into %i', (maxParallel, size, want) => {
    expect(resolveMaxParallel(maxParallel, size)).toBe(want);
  });
});
