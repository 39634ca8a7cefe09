import { describe, expect, it } from 'vitest';
import type { ApplyPolicy, KubeObject } from '@netfleet/shared';
import { leaveToOwners, splitConflicts, takesOwnership } from './ownership.js';

const policy = (overrides: Partial<ApplyPolicy>): ApplyPolicy => ({ force: false, drift: 'correct', ignore: [], prune: true, recreate: false, ...overrides });
const ingress = (minReplicas: number, maxReplicas = 3): KubeObject => ({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: 'main' }, spec: { minReplicas, maxReplicas } });
const conflict = (field: string) => ({ field, message: 'conflict with "intruder" using deckhouse.io/v1' });

describe('takesOwnership', () => {
  it.each([
    { name: 'drift: correct', policy: policy({}), mode: undefined, want: true },
    { name: 'drift: alert', policy: policy({ drift: 'alert' }), mode: undefined, want: false },
    { name: 'drift: alert with force', policy: policy({ drift: 'alert', force: true }), mode: undefined, want: true },
    { name: 'drift: correct under --drift-mode alert', policy: policy({}), mode: 'alert' as const, want: false },
    { name: 'drift: alert under --drift-mode correct', policy: policy({ drift: 'alert' }), mode: 'correct' as const, want: true },
  ])('$name → $want', ({ policy: given, mode, want }) => {
    expect(takesOwnership(given, mode)).toBe(want);
  });
});

describe('splitConflicts', () => {
  it('calls a field the revision sets as before an edit, and one it changes the revision\'s', () => {
    const split = splitConflicts([conflict('.spec.minReplicas'), conflict('.spec.maxReplicas')], ingress(2, 6), ingress(2, 3));
    expect(split.edited.map((item) => item.field)).toEqual(['.spec.minReplicas']);
    expect(split.changed.map((item) => item.field)).toEqual(['.spec.maxReplicas']);
  });

  it('counts every conflict as the revision\'s without the previous object', () => {
    expect(splitConflicts([conflict('.spec.minReplicas')], ingress(2), undefined).changed).toHaveLength(1);
  });
});

describe('leaveToOwners', () => {
  it('leaves the conflicting fields out of what is applied, the rest as rendered', () => {
    expect(leaveToOwners(ingress(2, 6), [conflict('.spec.minReplicas')]).spec).toEqual({ maxReplicas: 6 });
  });
});
