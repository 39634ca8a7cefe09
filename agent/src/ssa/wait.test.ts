import { describe, expect, it } from 'vitest';
import { Readiness, type KubeObject } from '@netfleet/shared';
import { readinessOf } from './wait.js';

const withStatus = (status: unknown, generation = 2): KubeObject => ({
  apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: { name: 'egress', generation }, ...(status === undefined ? {} : { status }),
});

describe('readinessOf', () => {
  it.each([
    { name: 'no status', status: undefined, want: Readiness.Unknown },
    { name: 'status without conditions or generation', status: { loadBalancer: {} }, want: Readiness.Unknown },
    { name: 'an older observed generation', status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }, want: Readiness.InProgress },
    { name: 'the current generation and no conditions', status: { observedGeneration: 2 }, want: Readiness.Ready },
    { name: 'Ready=True', status: { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] }, want: Readiness.Ready },
    { name: 'Ready=False', status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ElectionFailed', message: "there aren't ready Nodes" }] }, want: Readiness.Failed, message: "ElectionFailed: there aren't ready Nodes" },
    { name: 'Ready=Unknown', status: { conditions: [{ type: 'Ready', status: 'Unknown' }] }, want: Readiness.InProgress },
    { name: 'Stalled=True', status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'Broken' }, { type: 'Ready', status: 'True' }] }, want: Readiness.Failed, message: 'Broken' },
    { name: 'Reconciling=True', status: { conditions: [{ type: 'Reconciling', status: 'True' }] }, want: Readiness.InProgress },
  ])('reads $name as $want', ({ status, want, message }) => {
    const result = readinessOf(withStatus(status));
    expect(result.readiness).toBe(want);
    if (message) expect(result.message).toBe(message);
  });
});
