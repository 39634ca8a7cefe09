import { describe, expect, it } from 'vitest';
import { planRollout, resolveMaxParallel } from '../../src/rollout/plan.js';
import type { FleetCluster, RolloutPolicy, RolloutWavePolicy } from '../../src/rollout/policy.js';

const fleet: FleetCluster[] = [
  { name: 'eu-2', region: 'eu', labels: { tier: 'prod' } },
  { name: 'eu-1', region: 'eu', labels: { tier: 'prod', canary: 'true' } },
  { name: 'us-1', region: 'us', labels: { tier: 'prod' } },
  { name: 'us-2', region: 'us', labels: { tier: 'staging' } },
  { name: 'ap-1', region: 'ap', labels: {} },
];

function wave(name: string, selector: RolloutWavePolicy['selector'], maxParallel: RolloutWavePolicy['maxParallel'] = 1): RolloutWavePolicy {
  return { name, selector, maxParallel, bakeTimeMs: 60_000, deadlineMs: 600_000 };
}

function policy(waves: RolloutWavePolicy[], unselectedClusters: RolloutPolicy['unselectedClusters']): RolloutPolicy {
  return { name: 'default', waves, failurePolicy: 'pause', unselectedClusters, blackouts: [] };
}

describe('planRollout', () => {
  it.each([
    {
      name: 'takes each cluster into the first wave that selects it, sorted by name',
      waves: [wave('canary', { labels: { canary: 'true' } }), wave('eu', { regions: ['eu'] }), wave('us', { regions: ['us'] })],
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
        wave('staging', { expressions: [{ key: 'tier', operator: 'In', values: ['staging'] }] }),
        wave('unlabelled', { expressions: [{ key: 'tier', operator: 'DoesNotExist' }] }),
        wave('prod-not-canary', { expressions: [{ key: 'tier', operator: 'Exists' }, { key: 'canary', operator: 'NotIn', values: ['true'] }] }),
      ],
      unselected: 'excluded' as const,
      want: [['us-2'], ['ap-1'], ['eu-2', 'us-1']],
      excluded: ['eu-1'],
    },
    {
      name: 'requires every criterion of a selector',
      waves: [wave('eu-prod-canary', { regions: ['eu'], labels: { canary: 'true' } }), wave('rest', {})],
      unselected: 'excluded' as const,
      want: [['eu-1'], ['ap-1', 'eu-2', 'us-1', 'us-2']],
      excluded: [],
    },
    {
      name: 'keeps a wave that selects nothing, empty',
      waves: [wave('mars', { regions: ['mars'] }), wave('all', {})],
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
    const plan = planRollout(policy([wave('canary', { names: ['eu-1'] }), wave('rest', { regions: ['us'] }, '50%')], 'lastWave'), fleet);
    expect(plan.waves[1]!.clusters).toHaveLength(4);
    expect(plan.waves[1]!.maxParallel).toBe(2);
  });

  it('checks every gate when the wave lists none, and only the listed ones otherwise', () => {
    const plan = planRollout(policy([wave('a', {}), { ...wave('b', {}), gates: ['noNewDrift'] }], 'excluded'), fleet);
    expect(plan.waves[0]!.gates).toEqual(['noNewDrift', 'noNewLinkFailures', 'noCriticalAlert']);
    expect(plan.waves[1]!.gates).toEqual(['noNewDrift']);
  });
});

describe('resolveMaxParallel', () => {
  it.each([
    [3, 10, 3],
    [0, 10, 1],
    ['25%', 10, 3],
    ['10%', 30, 3],
    ['50%', 1, 1],
    ['1%', 4, 1],
    ['100%', 7, 7],
    ['20%', 0, 1],
  ] as const)('turns %j of a wave of %i into %i', (maxParallel, size, want) => {
    expect(resolveMaxParallel(maxParallel, size)).toBe(want);
  });
});
