import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorClass, SyncReason, type DriftItem, type KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { clientFor, eventually, startCluster } from './harness.js';
import { kubectlPatch, patchStatus } from './kubectl.js';
import { AGENT_NAMESPACE, daemonFor, reconcilerFor, startFleetRepo, type FleetRepo } from './fleet.js';
import { KubeClient } from '../src/kube/client.js';
import { ApiException } from '@kubernetes/client-node';

/** Each test runs several full syncs of the example fleet: a budget for a busy machine. */
const SYNCS_BUDGET_MS = 120_000;

/**
 * Sync semantics against the API test server, one fleet repository per file: ownership
 * (force for `drift: correct`, drift for `alert`), prune order and readiness.
 */

let kube: KubeApiServer;
let fleet: FleetRepo;
let client: KubeClient;

const internalIngress = { apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'internal' };
const hsmPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'payments', name: 'payments-external-hsm' };
const partners = { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', name: 'partners' };
const asObject = (ref: { apiVersion: string; kind: string; name: string; namespace?: string }): KubeObject => ({
  apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
});
const read = (file: string) => readFile(join(fleet.tree.dir, file), 'utf8');

/** `netfleet agent --once`: a fresh daemon (nothing remembered) running one sync. */
async function syncOnce(kubeClient: KubeClient = clientFor(kube)) {
  const daemon = await daemonFor(kube, await fleet.source(), {}, { client: kubeClient });
  try {
    return await daemon.sync();
  } finally {
    // A sync starts drift watchers; the CLI's --once exits, a test stops them.
    await daemon.stop();
  }
}

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster(), startFleetRepo()]);
  client = clientFor(kube);
  const first = await syncOnce();
  expect(first.reason).toBe(SyncReason.Succeeded);
}, 60_000);
afterAll(async () => {
  await kube?.stop();
  await fleet?.dispose();
});

describe('when another manager edits a drift: correct object (kubectl patch --field-manager=intruder)', () => {
  it('takes the field back at the next sync, --once included, and the sync succeeds', async () => {
    await kubectlPatch(kube, asObject(internalIngress), 'ingressnginxcontrollers', { spec: { hostPort: { httpPort: 9090 } } }, 'intruder');
    const result = await syncOnce();
    expect(result.message).toBeUndefined();
    expect(result.reason).toBe(SyncReason.Succeeded);
    const live = await client.get(internalIngress);
    expect((live!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080);
  }, SYNCS_BUDGET_MS);

  it('takes it back in a running daemon\'s sync too', async () => {
    const daemon = await daemonFor(kube, await fleet.source());
    try {
      expect((await daemon.sync()).reason).toBe(SyncReason.Succeeded);
      // Its drift checks would revert the edit too: stopped, only the sync can.
      daemon.drift.stop();
      await kubectlPatch(kube, asObject(internalIngress), 'ingressnginxcontrollers', { spec: { hostPort: { httpPort: 9292 } } }, 'intruder');
      expect((await daemon.sync()).reason).toBe(SyncReason.Succeeded);
      expect(((await client.get(internalIngress))!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort).toBe(8080);
    } finally {
      await daemon.stop();
    }
  }, SYNCS_BUDGET_MS);
});

describe('when another controller keeps reverting a field the daemon corrects', () => {
  it('counts the fight in netfleet_drift_fights_total and reports whom it fights with', async () => {
    const daemon = await daemonFor(kube, await fleet.source());
    const reported: DriftItem[] = [];
    daemon.events.on('drift-detected', (items) => reported.push(...items));
    try {
      expect((await daemon.sync()).reason).toBe(SyncReason.Succeeded);
      await eventually(() => expect(daemon.drift.synced).toBe(true));
      const httpPortOf = async () => ((await client.get(internalIngress))!.spec as { hostPort: { httpPort: number } }).hostPort.httpPort;
      await kubectlPatch(kube, asObject(internalIngress), 'ingressnginxcontrollers', { spec: { hostPort: { httpPort: 9393 } } }, 'rival-controller');
      await eventually(async () => expect(await httpPortOf()).toBe(8080));
      await kubectlPatch(kube, asObject(internalIngress), 'ingressnginxcontrollers', { spec: { hostPort: { httpPort: 9494 } } }, 'rival-controller');
      await eventually(async () => expect(await daemon.metrics.registry.getSingleMetricAsString('netfleet_drift_fights_total')).toContain('netfleet_drift_fights_total 1'));
      expect(reported.find((item) => item.fightingWith)).toMatchObject({
        id: 'deckhouse.io_IngressNginxController__internal', fightingWith: ['rival-controller'], message: expect.stringContaining('fighting with manager "rival-controller"'),
      });
    } finally {
      await daemon.stop();
    }
  }, SYNCS_BUDGET_MS);
});

describe('when another manager edits a drift: alert object', () => {
  it('reports the edit as drift, keeps it, and the sync succeeds; a revision changing that field is a conflict naming field and manager', async () => {
    await kubectlPatch(kube, asObject(hsmPolicy), 'networkpolicies', { spec: { podSelector: { matchLabels: { app: 'hand-edited' } } } }, 'intruder');
    const result = await syncOnce();
    expect(result.reason).toBe(SyncReason.Succeeded);
    expect(result.message).toContain('networking.k8s.io_NetworkPolicy_payments_payments-external-hsm: drift left in place (drift: alert): .spec.podSelector (conflict with "intruder"');
    expect(((await client.get(hsmPolicy))!.spec as { podSelector: { matchLabels: { app: string } } }).podSelector.matchLabels.app).toBe('hand-edited');

    await fleet.tree.write({ 'network/policies.yaml': (await read('network/policies.yaml')).replace('app: payment-gateway', 'app: payment-gateway-v2') });
    await fleet.publish('payments policies select the v2 gateway');
    const changed = await syncOnce();
    expect(changed.reason).toBe(SyncReason.ConflictDetected);
    expect(changed.errorClass).toBe(ErrorClass.Terminal);
    // A LabelSelector is an atomic struct in kube-apiserver's schema: the conflict names it whole.
    expect(changed.message).toContain('.spec.podSelector (conflict with "intruder"');
    expect(changed.message).toContain('policy.force: true');
    await fleet.tree.write({ 'network/policies.yaml': (await read('network/policies.yaml')).replace('app: payment-gateway-v2', 'app: payment-gateway') });
    await fleet.publish('payments policies back to the gateway');
  }, SYNCS_BUDGET_MS);
});

describe('when a renamed object fails to apply', () => {
  const policy = (name: string) => ({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGatewayPolicy', name });

  it('keeps the old version (no prune after a failed apply) and prunes it after the next clean apply', async () => {
    const egress = await read('network/egress.yaml');
    await fleet.tree.write({ 'network/egress.yaml': egress.replace('name: shop-suppliers', 'name: shop-vendors') });
    await fleet.publish('egress policy for shop suppliers renamed');
    const failed = await syncOnce(new FailingApplyClient(kube, 'partners-shop-vendors'));
    expect(failed.reason).toBe(SyncReason.ApplyFailed);
    expect(await client.get(policy('partners-shop-suppliers'))).toBeDefined();
    const inventory = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: AGENT_NAMESPACE, name: 'netfleet-inventory' });
    expect((inventory!.data as { entries: string }).entries).toContain('network.deckhouse.io_EgressGatewayPolicy__partners-shop-suppliers ');

    const clean = await syncOnce();
    expect(clean.reason).toBe(SyncReason.Succeeded);
    expect(await client.get(policy('partners-shop-vendors'))).toBeDefined();
    expect(await client.get(policy('partners-shop-suppliers'))).toBeUndefined();
  }, SYNCS_BUDGET_MS);
});

describe('when a controller has not observed the new generation yet (EgressGateway status.observedGeneration)', () => {
  /** Writes status as the cni-cilium controller would. */
  const setStatus = (status: unknown) => patchStatus(kube, asObject(partners), 'egressgateways', status);
  const ready = { type: 'Ready', status: 'True', reason: 'ElectionSucceed', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' };

  it('is progressing (WaitingForReadiness), not failed, with no health timeout; succeeds once observed; fails only when a health timeout passes', async () => {
    const generation = Number((await client.get(partners))!.metadata.generation);
    await setStatus({ observedGeneration: generation, conditions: [ready] });
    await fleet.tree.write({ 'network/egress.yaml': (await read('network/egress.yaml')).replace('interfaces: [eth1]', 'interfaces: [eth2]') });
    await fleet.publish('egress through eth2');

    const progressing = await syncOnce();
    expect(progressing.reason).toBe(SyncReason.WaitingForReadiness);
    expect(progressing.errorClass).toBe(ErrorClass.RetryLater);
    expect(progressing.message).toContain(`network.deckhouse.io_EgressGateway__partners: InProgress (observed generation ${generation} of ${generation + 1})`);

    const { reconciler } = await reconcilerFor(kube, await fleet.source(), { healthTimeoutMs: 300, healthIntervalMs: 50 });
    const timedOut = await reconciler.reconcile();
    expect(timedOut.reason).toBe(SyncReason.HealthCheckFailed);

    await setStatus({ observedGeneration: generation + 1, conditions: [ready] });
    const observed = await syncOnce();
    expect(observed.reason).toBe(SyncReason.Succeeded);
    expect(observed.readiness).toContainEqual({ id: 'network.deckhouse.io_EgressGateway__partners', readiness: 'Ready' });
  }, SYNCS_BUDGET_MS);
});

/** A wrapped client whose real (not dry-run) apply of one object name fails, as Flux's tests wrap theirs. */
class FailingApplyClient extends KubeClient {
  constructor(server: KubeApiServer, private readonly failing: string) {
    super({ kubeConfig: server.kubeConfig(), retry: { baseDelayMs: 10, maxDelayMs: 50, retries: 1 } });
  }

  override apply(object: KubeObject, options: { force: boolean; dryRun?: boolean }): Promise<KubeObject> {
    if (object.metadata.name === this.failing && !options.dryRun) {
      return Promise.reject(new ApiException(422, 'Unsuccessful HTTP Request', { kind: 'Status', reason: 'Invalid', message: `admission webhook denied ${this.failing}` }, {}));
    }
    return super.apply(object, options);
  }
}
