import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readiness, type KubeObject } from '@netfleet/shared';
import { DEFAULT_ADMIN_TOKEN, type KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, startCluster } from '../../test/harness.js';
import type { KubeClient } from '../kube/client.js';
import { readinessOf, waitForReady } from './wait.js';

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
    // kstatus: only Stalled=True is a failure; not ready yet is progress until a health timeout passes.
    { name: 'Ready=False', status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ElectionFailed', message: "there aren't ready Nodes" }] }, want: Readiness.InProgress, message: "ElectionFailed: there aren't ready Nodes" },
    { name: 'Ready=Unknown', status: { conditions: [{ type: 'Ready', status: 'Unknown' }] }, want: Readiness.InProgress },
    { name: 'Stalled=True', status: { conditions: [{ type: 'Stalled', status: 'True', reason: 'Broken' }, { type: 'Ready', status: 'True' }] }, want: Readiness.Failed, message: 'Broken' },
    { name: 'Reconciling=True', status: { conditions: [{ type: 'Reconciling', status: 'True' }] }, want: Readiness.InProgress },
  ])('reads $name as $want', ({ status, want, message }) => {
    const result = readinessOf(withStatus(status));
    expect(result.readiness).toBe(want);
    if (message) expect(result.message).toBe(message);
  });
});

describe('waitForReady', () => {
  let kube: KubeApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    kube = await startCluster({ crds: (file) => file === 'cni-cilium/egressgateways.yaml' });
    client = clientFor(kube);
  });
  afterAll(() => kube.stop());

  const gateway = (name: string): KubeObject => ({
    apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: { name },
    spec: { nodeSelector: { 'node-role.deckhouse.io/egress': '' }, sourceIP: { mode: 'PrimaryIPFromEgressGatewayNodeInterface', primaryIPFromEgressGatewayNodeInterface: { interfaceName: 'eth1' } } },
  });

  const condition = (status: string, reason: string) => ({ type: 'Ready', status, reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' });

  /** Writes status as the module's controller would (merge patch on the status subresource). */
  async function setStatus(name: string, status: unknown): Promise<void> {
    const response = await fetch(`${kube.url}/apis/network.deckhouse.io/v1alpha1/egressgateways/${name}/status`, {
      method: 'PATCH', body: JSON.stringify({ status }),
      headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/merge-patch+json' },
    });
    expect(response.status).toBe(200);
  }

  it('polls an object in progress until its controller reports it ready', async () => {
    const applied = await client.apply(gateway('egress-a'), { force: false });
    await setStatus('egress-a', { conditions: [condition('Unknown', 'Electing')] });
    const inProgress = (await client.get({ apiVersion: applied.apiVersion, kind: applied.kind, name: 'egress-a' }))!;
    const waiting = waitForReady(client, [inProgress], { timeoutMs: 10_000, intervalMs: 20 });
    await setStatus('egress-a', { conditions: [condition('True', 'ElectionSucceed')] });
    expect(await waiting).toEqual([{ id: 'network.deckhouse.io_EgressGateway__egress-a', readiness: Readiness.Ready }]);
  });

  it('reads an object the apply answered in progress again from the cluster, even without a timeout', async () => {
    const applied = await client.apply(gateway('egress-c'), { force: false });
    await setStatus('egress-c', { observedGeneration: 1, conditions: [condition('True', 'ElectionSucceed')] });
    // The apply answer predates the controller's status write: it has no status at all.
    const answered = { ...applied, status: { observedGeneration: 0 } };
    expect(await waitForReady(client, [answered], { timeoutMs: 0, intervalMs: 20 })).toEqual([{ id: 'network.deckhouse.io_EgressGateway__egress-c', readiness: Readiness.Ready }]);
  });

  it('gives up at the timeout and reports what is still in progress', async () => {
    await client.apply(gateway('egress-b'), { force: false });
    await setStatus('egress-b', { conditions: [condition('Unknown', 'Electing')] });
    const live = (await client.get({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', name: 'egress-b' }))!;
    const [result] = await waitForReady(client, [live], { timeoutMs: 100, intervalMs: 20 });
    expect(result).toMatchObject({ readiness: Readiness.InProgress, message: 'Electing' });
  });
});
