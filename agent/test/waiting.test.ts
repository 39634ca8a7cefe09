import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Action, ErrorClass, SyncReason, SyncStatus } from '@netfleet/shared';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { eventually, startCluster } from './harness.js';
import { daemonFor, startFleetRepo, type FleetRepo } from './fleet.js';
import type { AgentDaemon } from '../src/daemon/daemon.js';
import type { SyncResult } from '../src/reconcile/result.js';
import { syncBodyOf } from '../src/report/agent-events.js';

const isIstio = (file: string) => file.startsWith('istio/');

let kube: KubeApiServer;
let fleet: FleetRepo;
let daemon: AgentDaemon;
const results: SyncResult[] = [];

beforeAll(async () => {
  [kube, fleet] = await Promise.all([startCluster({ crds: (file) => !isIstio(file) }), startFleetRepo()]);
  daemon = await daemonFor(kube, await fleet.source(), { interval: 3600, retryInterval: 1 });
  daemon.events.on('synced', (result) => results.push(result));
  daemon.events.on('sync-failed', (result) => results.push(result));
  await daemon.start();
}, 60_000);
afterAll(async () => {
  await daemon?.stop();
  await kube?.stop();
  await fleet?.dispose();
});

describe('when a module\'s CRDs are not served yet', () => {
  it('applies every other kind and reports the rest as waiting for the module, to retry later', async () => {
    await eventually(() => expect(results.length).toBeGreaterThan(0));
    const [first] = results;
    expect(first!.reason).toBe(SyncReason.WaitingForModule);
    expect(first!.errorClass).toBe(ErrorClass.RetryLater);
    expect(first!.waitingFor).toEqual(['istio']);
    const waiting = first!.changeSet.filter((entry) => entry.action === Action.Waiting);
    expect(waiting.map((entry) => entry.subject.kind).sort()).toEqual(['IstioFederation', 'IstioFederation', 'IstioFederation', 'IstioFederation', 'PeerAuthentication']);
    expect(first!.changeSet.filter((entry) => entry.action === Action.Created).length).toBe(first!.changeSet.length - waiting.length);
    expect(await daemon.client.get({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', name: 'public' })).toBeDefined();
  });

  it('applies the waiting objects once the CRDs are served', async () => {
    await kube.installDkpCrds(isIstio);
    await eventually(() => expect(daemon.lastResult?.reason).toBe(SyncReason.Succeeded));
    const created = daemon.lastResult!.changeSet.filter((entry) => entry.action === Action.Created);
    expect(created.map((entry) => entry.subject.kind).sort()).toEqual(['IstioFederation', 'IstioFederation', 'IstioFederation', 'IstioFederation', 'PeerAuthentication']);
    expect(await daemon.client.get({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', name: 'us-iad-1' })).toBeDefined();
  });
});

describe('when a namespace the repository declares is still terminating', () => {
  it('reports the objects that belong in it as waiting for the namespace, progressing rather than failed, and creates them once it is gone', async () => {
    await eventually(async () => expect((await daemon.sync()).reason).toBe(SyncReason.Succeeded));
    // The example fleet's ConfigMap in namespace shop.
    const ns = 'shop';
    const configMap = daemon.lastResult!.changeSet.find((entry) => entry.subject.namespace === ns && entry.subject.kind === 'ConfigMap')!.subject;
    const subject = { apiVersion: 'v1', kind: 'ConfigMap', name: configMap.name };
    kube.holdTermination(true);
    try {
      await daemon.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      // Its content goes while the namespace stays Terminating: what the namespace controller does first.
      await daemon.client.delete({ ...subject, namespace: ns });
      const waiting = await daemon.sync();
      expect(waiting.reason).toBe(SyncReason.WaitingForNamespace);
      expect(waiting.errorClass).toBe(ErrorClass.RetryLater);
      expect(waiting.message).toContain(`waiting for namespace ${ns} to finish terminating`);
      expect(syncBodyOf(waiting).status).toBe(SyncStatus.Progressing);
      const entry = waiting.changeSet.find((candidate) => candidate.subject.name === subject.name && candidate.subject.namespace === ns);
      expect(entry).toMatchObject({ action: Action.Waiting, message: expect.stringContaining('is being deleted') });
    } finally {
      kube.holdTermination(false);
    }
    // The namespace controller finishes; the next sync creates the namespace and its objects again.
    await eventually(async () => expect((await daemon.sync()).reason).toBe(SyncReason.Succeeded), { intervalMs: 100 });
    expect(await daemon.client.get({ ...subject, namespace: ns })).toBeDefined();
  });
});
