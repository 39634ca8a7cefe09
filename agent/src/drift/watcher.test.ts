import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, rendered, startCluster } from '../../test/harness.js';
import { patchStatus } from '../../test/kubectl.js';
import { defaultRetryOptions } from '../kube/retry.js';
import type { KubeClient } from '../kube/client.js';
import { KindWatcher, changedForDrift } from './watcher.js';

let kube: KubeApiServer;
let client: KubeClient;
let watcher: KindWatcher;
const changes: string[] = [];
const ID = 'network.deckhouse.io_EgressGateway__uplink';

const gateway = (labels: Record<string, string> = {}, iface = 'eth1'): KubeObject => rendered({
  apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: { name: 'uplink', labels },
  spec: { nodeSelector: { 'node-role.deckhouse.io/egress': '' }, sourceIP: { mode: 'PrimaryIPFromEgressGatewayNodeInterface', primaryIPFromEgressGatewayNodeInterface: { interfaceName: iface } } },
}).object;

/** Writes status as the module's controller would. */
const setStatus = (status: unknown) => patchStatus(kube, gateway(), 'egressgateways', status);

beforeAll(async () => {
  kube = await startCluster({ crds: (file) => file === 'cni-cilium/egressgateways.yaml' });
  client = clientFor(kube);
  await client.apply(gateway(), { force: false });
  const kind = (await client.discovery.find('network.deckhouse.io/v1alpha1', 'EgressGateway'))!;
  watcher = new KindWatcher(client, kind, (id) => changes.push(id), createLogger({ name: 'watcher-test', level: 'silent' }), defaultRetryOptions(), () => undefined);
  watcher.start();
  await eventually(() => expect(changes).toEqual([ID]), { timeoutMs: 30_000 });
});
afterAll(async () => {
  watcher?.stop();
  await kube?.stop();
});

describe('when a watched object changes', () => {
  it('skips status-only updates (same generation, labels and annotations): no drift check for them', async () => {
    changes.length = 0;
    await setStatus({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'ElectionSucceed', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] });
    await eventually(() => expect(watcher.get(ID)?.status).toBeDefined(), { timeoutMs: 30_000 });
    // A spec change after it is reported, and is the only change reported.
    await client.apply(gateway({}, 'eth2'), { force: false });
    const interfaceOf = (object: KubeObject | undefined) => (object?.spec as { sourceIP: { primaryIPFromEgressGatewayNodeInterface: { interfaceName: string } } } | undefined)?.sourceIP.primaryIPFromEgressGatewayNodeInterface.interfaceName;
    await eventually(() => expect(interfaceOf(watcher.get(ID))).toBe('eth2'), { timeoutMs: 30_000 });
    expect(changes).toEqual([ID]);
  });

  it('reports a label change', async () => {
    changes.length = 0;
    await client.apply(gateway({ team: 'net' }, 'eth2'), { force: false });
    await eventually(() => expect(watcher.get(ID)?.metadata.labels?.team).toBe('net'), { timeoutMs: 30_000 });
    expect(changes).toEqual([ID]);
  });
});

describe('changedForDrift', () => {
  const object = (resourceVersion: string, generation: number | undefined, annotations?: Record<string, string>): KubeObject => ({
    apiVersion: 'v1', kind: 'X', metadata: { name: 'x', resourceVersion, ...(generation === undefined ? {} : { generation }), ...(annotations ? { annotations } : {}) },
  });

  it.each([
    { name: 'same resourceVersion', known: object('1', 1), next: object('1', 1), want: false },
    { name: 'status only (same generation)', known: object('1', 1), next: object('2', 1), want: false },
    { name: 'a new generation', known: object('1', 1), next: object('2', 2), want: true },
    { name: 'an annotation added', known: object('1', 1), next: object('2', 1, { a: 'b' }), want: true },
    { name: 'a kind without generation (ConfigMap data)', known: object('1', undefined), next: object('2', undefined), want: true },
  ])('$name → $want', ({ known, next, want }) => {
    expect(changedForDrift(known, next)).toBe(want);
  });
});
