import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Action, SyncReason, type DriftItem, type KubeObject } from '@netfleet/shared';
import { DKP_REFERENCE_SKIP, dkpReferencePresent } from '@netfleet/test';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, startCluster } from './harness.js';
import { quietLogger, reconcilerFor, startFleetRepo, type FleetRepo } from './fleet.js';
import { DriftDetector, defaultDriftOptions } from '../src/drift/detector.js';
import { AgentEvents } from '../src/events.js';
import type { KubeClient } from '../src/kube/client.js';
import type { Reconciler } from '../src/reconcile/reconcile.js';

let kube: KubeApiServer;
let fleet: FleetRepo;
let client: KubeClient;
let other: KubeClient;
let detector: DriftDetector;
let reconciler: Reconciler;
let events: AgentEvents;
let detected: DriftItem[][];
let corrected: DriftItem[];

const internalIngress = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'internal' };
const publicIngress = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' };
const hsmPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'payments', name: 'payments-external-hsm' };

/** Another field manager writes (kubectl apply --server-side --force-conflicts). */
function otherWrites(ref: { apiVersion: string; kind: string; name: string; namespace?: string }, body: Record<string, unknown>): Promise<KubeObject> {
  return other.apply({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) }, ...body }, { force: true });
}

const driftOf = (id: string) => detected.flat().filter((item) => item.id === id);

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  const built = await reconcilerFor(kube, await fleet.source());
  client = built.client;
  other = clientFor(kube, 'kubectl');
  events = new AgentEvents();
  events.on('drift-detected', (items) => detected.push(items));
  events.on('drift-corrected', (item) => corrected.push(item));
  detector = new DriftDetector(client, built.memo, events, quietLogger(), defaultDriftOptions({ resyncIntervalMs: 3_600_000 }));
  detector.start();
  reconciler = built.reconciler;
  const result = await detector.exclusive(() => reconciler.reconcile(), () => reconciler.desired?.objects);
  expect(result.reason).toBe(SyncReason.Succeeded);
}, 60_000);
afterAll(async () => {
  detector?.stop();
  await kube?.stop();
  await fleet?.dispose();
});
afterEach(() => {
  detected = [];
  corrected = [];
});
detected = [];
corrected = [];

describe('when nothing changed after the sync', () => {
  // DKP's IngressNginxController CRD defaults fields; netfleet's own definitions default none.
  it.skipIf(!dkpReferencePresent())(`reports no drift after a full resync, though the server defaulted fields the repository does not set${DKP_REFERENCE_SKIP}`, async () => {
    await detector.resync();
    await detector.idle();
    expect(detector.items).toEqual([]);
    expect(detected).toEqual([]);
    const live = await client.get(internalIngress);
    expect((live!.spec as Record<string, unknown>).validationEnabled).toBe(true);
  });
});

describe('when another field manager changes a managed field under the correct policy', () => {
  it('reports the drift with desired and live values within 2 s and reverts it', async () => {
    await otherWrites(internalIngress, { spec: { inlet: 'HostPort', hostPort: { httpPort: 9090, httpsPort: 8443 } } });
    await eventually(() => expect(corrected.map((item) => item.id)).toContain('deckhouse.io_IngressNginxController__internal'), { timeoutMs: 2_000 });
    const item = corrected.find((candidate) => candidate.id === 'deckhouse.io_IngressNginxController__internal')!;
    expect(item).toMatchObject({ type: 'changed', policy: 'correct', fields: [{ path: '/spec/hostPort/httpPort', desired: 8080, live: 9090 }] });
    await eventually(async () => expect(((await client.get(internalIngress))!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080));
    await detector.idle();
    expect(detector.items).toEqual([]);
  });
});

describe('when a managed object is deleted', () => {
  it('reports it deleted and re-creates it under the correct policy', async () => {
    await other.delete(internalIngress);
    await eventually(() => expect(corrected.filter((item) => item.type === 'deleted').map((item) => item.id)).toContain('deckhouse.io_IngressNginxController__internal'), { timeoutMs: 2_000 });
    await eventually(async () => expect(await client.get(internalIngress)).toBeDefined());
  });
});

describe('when another field manager changes a managed field under the alert policy', () => {
  it('reports the drift within 2 s and leaves the change in place', async () => {
    const live = (await client.get(hsmPolicy))!;
    const egress = structuredClone((live.spec as { egress: { ports?: { port: number }[] }[] }).egress);
    egress[0]!.ports = [{ port: 1793 } as never];
    await otherWrites(hsmPolicy, { spec: { egress } });
    await eventually(() => expect(driftOf('networking.k8s.io_NetworkPolicy_payments_payments-external-hsm')).not.toEqual([]), { timeoutMs: 2_000 });
    const [item] = driftOf('networking.k8s.io_NetworkPolicy_payments_payments-external-hsm');
    expect(item!.policy).toBe('alert');
    expect(item!.fields.map((field) => field.path)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/spec\/egress\/0\/ports/)]));
    await detector.idle();
    expect(corrected).toEqual([]);
    expect(((await client.get(hsmPolicy))!.spec as { egress: { ports: { port: number }[] }[] }).egress[0]!.ports[0]!.port).toBe(1793);
    expect(detector.items.map((current) => current.id)).toContain('networking.k8s.io_NetworkPolicy_payments_payments-external-hsm');
  });
});

describe('when another field manager sets fields netfleet does not manage', () => {
  it('never reports them', async () => {
    await otherWrites(internalIngress, { metadata: { name: 'internal', annotations: { 'ops.example.com/owner': 'team-edge' } }, spec: { inlet: 'HostPort', enableIstioSidecar: true } });
    await otherWrites(publicIngress, { spec: { inlet: 'LoadBalancer', minReplicas: 7 } });
    await detector.resync();
    await detector.idle();
    expect(detected.flat().map((item) => item.id)).not.toContain('deckhouse.io_IngressNginxController__internal');
    // public ignores /spec/minReplicas and /spec/maxReplicas.
    expect(detected.flat().map((item) => item.id)).not.toContain('deckhouse.io_IngressNginxController__public');
    expect(((await client.get(publicIngress))!.spec as { minReplicas: number }).minReplicas).toBe(7);
  });

  it('does not fight over an ignored field on the next sync: no conflict, no revert', async () => {
    const result = await detector.exclusive(() => reconciler.reconcile(), () => reconciler.desired?.objects);
    const entry = result.changeSet.find((candidate) => candidate.subject.kind === 'IngressNginxController' && candidate.subject.name === 'public');
    expect(entry).toEqual({ subject: expect.anything(), action: Action.Unchanged });
    expect(result.message ?? '').not.toContain('IngressNginxController__public');
    expect(((await client.get(publicIngress))!.spec as { minReplicas: number }).minReplicas).toBe(7);
    // The alert-policy policy changed by another manager is drift the sync reports, not a failure.
    expect(result.reason).toBe(SyncReason.Succeeded);
    expect(result.message).toContain('payments-external-hsm: drift left in place (drift: alert)');
  });
});

