/**
 * Acceptance of the report channel end to end, with the real agent daemon: it registers
 * with the hub, syncs the example fleet into a Kubernetes API test server and reports; drift
 * injected by another field manager shows up in the hub API and reaches a webhook receiver
 * and a real Alertmanager; putting the field back resolves the alert; stopping the agent
 * marks the cluster offline after two missed heartbeats.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '../src/redis.js';
import type { Alert, ClusterDetail, Credentials, DriftState, KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '../src/kube/server.js';
import { Hub, AlertRule } from '../../hub/src/index.js';
import { findAlertmanager, startAlertmanager, startReceiver } from '../../hub/test/receivers.js';
import { connectToHub, register, type Reporter } from '../../agent/src/report/index.js';
import type { AgentDaemon } from '../../agent/src/daemon/daemon.js';
import type { KubeClient } from '../../agent/src/kube/client.js';
import { CLUSTER, daemonFor, quietLogger, startFleetRepo, type FleetRepo } from '../../agent/test/fleet.js';
import { clientFor, eventually, startCluster } from '../../agent/test/harness.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'e2e-admin-token-0123456789';
const HEARTBEAT_MS = 400;
const HSM_POLICY = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: 'payments', name: 'payments-external-hsm' };
const HSM_ID = 'networking.k8s.io_NetworkPolicy_payments_payments-external-hsm';
const alertmanagerBinary = await findAlertmanager();

const alertmanagerNote = alertmanagerBinary ? 'and a real Alertmanager' : '(Alertmanager part skipped: no prometheus-alertmanager binary)';

describe(`when an agent reports to the hub ${alertmanagerNote}`, () => {
  const prefix = `{nf-e2e-${randomBytes(4).toString('hex')}}`;
  let kube: KubeApiServer;
  let fleet: FleetRepo;
  let hub: Hub;
  let api: Awaited<ReturnType<Hub['api']>>;
  let hubUrl: string;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>> | undefined;
  let dir: string;
  let credentials: Credentials;
  let reporter: Reporter;
  let daemon: AgentDaemon;
  let kubectl: KubeClient;
  let originalEgress: unknown;

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${hubUrl}${path}`, { headers: { authorization: `Bearer ${credentials.apiToken}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  const webhookAlerts = () => webhook.received.map((request) => (JSON.parse(request.body) as { alert: Alert }).alert);
  const alertmanagerAlerts = async () => {
    const response = await fetch(`${alertmanager!.url}/api/v2/alerts?filter=cluster%3D%22${CLUSTER}%22`);
    return (await response.json()) as Array<{ labels: Record<string, string> }>;
  };

  beforeAll(async () => {
    [kube, fleet, webhook] = await Promise.all([startCluster(), startFleetRepo(), startReceiver()]);
    if (alertmanagerBinary) alertmanager = await startAlertmanager(alertmanagerBinary);
    hub = new Hub({
      redisUrl: REDIS_URL, prefix, secret: 'e2e-hub-secret-0123456789abcdef0123', adminTokens: [ADMIN], logger: quietLogger(),
      heartbeatIntervalMs: HEARTBEAT_MS, sweepIntervalMs: 50, leaseTtlMs: 1_000, deliveryBackoffMs: 50,
      sinks: [
        { type: 'webhook', name: 'hook', url: `${webhook.url}/alerts`, secret: 'hook-secret' },
        ...(alertmanager ? [{ type: 'alertmanager' as const, name: 'am', url: alertmanager.url }] : []),
      ],
    });
    api = await hub.api();
    hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    await hub.start();

    const bootstrap = await fetch(`${hubUrl}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 300, maxUses: 1 }),
    }).then((response) => response.json() as Promise<{ token: string }>);
    dir = await mkdtemp(join(tmpdir(), 'netfleet-e2e-'));
    credentials = await register({
      hubUrl, bootstrapToken: bootstrap.token, cluster: CLUSTER, region: 'eu', labels: { tier: 'prod' }, credentialsFile: join(dir, 'credentials.json'),
    });
    daemon = await daemonFor(kube, await fleet.source());
    ({ reporter } = await connectToHub(daemon.events, {
      credentialsFile: join(dir, 'credentials.json'), hubUrl, spoolDir: join(dir, 'spool'), agentVersion: '0.1.0-e2e',
      heartbeatIntervalMs: HEARTBEAT_MS, coalesceMs: 20, logger: quietLogger(),
    }));
    await daemon.start();
    kubectl = clientFor(kube, 'kubectl');
  });

  afterAll(async () => {
    await daemon?.stop();
    await reporter?.close();
    await hub?.close();
    await alertmanager?.stop();
    await webhook?.close();
    await kube?.stop();
    await fleet?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('registers, saves its credentials privately, syncs and reports its state', async () => {
    expect((await stat(join(dir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    const detail = await eventually(async () => {
      const found = await get<ClusterDetail>(`/api/v1/clusters/${CLUSTER}`);
      expect(found.sync?.status).toBe('succeeded');
      expect(found.revision).not.toBe('');
      // The duration the agent measured reaches the hub with the sync.
      expect(found.sync?.durationMs).toBe(daemon.lastResult?.durationMs);
      return found;
    });
    expect(detail).toMatchObject({ state: 'online', region: 'eu', labels: { tier: 'prod' }, agentVersion: '0.1.0-e2e', driftCount: 0 });
    expect(detail.revision).toBe(daemon.lastResult?.appliedRevision);
    expect(detail.objects).toBeGreaterThan(0);
    expect(detail.readiness?.ready).toBeGreaterThan(0);
  });

  it('shows drift injected in the cluster in the API and alerts the webhook and Alertmanager', async () => {
    const live = (await kubectl.get(HSM_POLICY)) as KubeObject;
    const egress = structuredClone((live.spec as { egress: { ports?: unknown[] }[] }).egress);
    originalEgress = structuredClone(egress);
    egress[0]!.ports = [{ port: 1793 }];
    await kubectl.apply({ apiVersion: HSM_POLICY.apiVersion, kind: HSM_POLICY.kind, metadata: { name: HSM_POLICY.name, namespace: HSM_POLICY.namespace }, spec: { egress } } as KubeObject, { force: true });

    const drift = await eventually(async () => {
      const found = await get<DriftState>(`/api/v1/clusters/${CLUSTER}/drift`);
      expect(found.items.map((item) => item.id)).toContain(HSM_ID);
      return found;
    });
    expect(drift.items.find((item) => item.id === HSM_ID)!.fields.map((field) => field.path)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/spec\/egress\/0\/ports/)]));
    await eventually(() => expect(webhookAlerts()).toContainEqual(expect.objectContaining({
      rule: AlertRule.DriftDetected, status: 'firing', labels: expect.objectContaining({ cluster: CLUSTER, region: 'eu' }),
    })));
    if (alertmanager) {
      await eventually(async () => expect((await alertmanagerAlerts()).map((alert) => alert.labels.alertname)).toContain(AlertRule.DriftDetected));
    }
  });

  it('resolves the alert when the field is put back', async () => {
    await kubectl.apply({ apiVersion: HSM_POLICY.apiVersion, kind: HSM_POLICY.kind, metadata: { name: HSM_POLICY.name, namespace: HSM_POLICY.namespace }, spec: { egress: originalEgress } } as KubeObject, { force: true });
    await eventually(async () => expect((await get<DriftState>(`/api/v1/clusters/${CLUSTER}/drift`)).items).toEqual([]));
    await eventually(() => expect(webhookAlerts().filter((alert) => alert.rule === AlertRule.DriftDetected).at(-1)?.status).toBe('resolved'));
    if (alertmanager) {
      await eventually(async () => expect((await alertmanagerAlerts()).map((alert) => alert.labels.alertname)).not.toContain(AlertRule.DriftDetected));
    }
  });

  it('marks the cluster offline after two missed heartbeats once the agent stops', async () => {
    await daemon.stop();
    await reporter.close();
    const detail = await eventually(async () => {
      const found = await get<ClusterDetail>(`/api/v1/clusters/${CLUSTER}`);
      expect(found.state).toBe('offline');
      return found;
    });
    expect(Date.parse(detail.offlineSince!) - Date.parse(detail.lastSeen!)).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS);
    await eventually(() => expect(webhookAlerts()).toContainEqual(expect.objectContaining({ rule: AlertRule.ClusterOffline, status: 'firing' })));
  });
});
