/**
 * Link health through the real daemons: six agent daemons (the example fleet's mesh group
 * members in three regions, each with its own Kubernetes API test server with the DKP
 * CRDs) sync the fleet repository from a git server, run their link monitors with peer
 * probes against local HTTPS metadata endpoints, and report through the real Reporter to a
 * real hub that follows the same repository for the expected links. The test plays DKP by
 * writing link statuses through the status subresource. The matrix shows in the hub API
 * and in `netfleet links`; cutting every link into region eu-central raises one partition
 * alert at a webhook, and no per-link alert, resolved once the links are back; a declared
 * link whose resource is deleted on one peer shows as missing.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '../src/redis.js';
import { FsRepoReader, loadFleet, type Alert, type ClusterDetail } from '@netfleet/shared';
import { LinkState, type LinkMatrixResponse } from '@netfleet/shared/protocol/links';
import type { KubeApiServer } from '../src/kube/server.js';
import { createTestCa, startMetadataPeer, type MetadataPeer } from '../src/metadata-peer.js';
import { Hub, AlertRule } from '../../hub/src/index.js';
import { startReceiver } from '../../hub/test/receivers.js';
import { writeLinkStatuses, type DkpLinkStatus } from './dkp-links.js';
import { connectToHub, register, type Reporter } from '../../agent/src/report/index.js';
import type { AgentDaemon } from '../../agent/src/daemon/daemon.js';
import type { KubeClient } from '../../agent/src/kube/client.js';
import { LINK_API_VERSION } from '../../agent/src/links/link-monitor.js';
import { MetadataProber } from '../../agent/src/links/probe.js';
import { EXAMPLE_FLEET, daemonFor, quietLogger, startFleetRepo, type FleetRepo } from '../../agent/test/fleet.js';
import { clientFor, eventually, startCluster } from '../../agent/test/harness.js';
import { main } from '../../cli/src/main.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'links-e2e-admin-token-0123456789';
const HEARTBEAT_MS = 500;
const CLUSTERS = ['ap-sin-1', 'eu-ams-1', 'eu-fra-1', 'us-iad-1', 'us-nyc-1', 'us-nyc-2'];
const EU = ['eu-ams-1', 'eu-fra-1'];
const CUT_FROM = ['ap-sin-1', 'us-iad-1', 'us-nyc-1'];
const PARTITION = 'region eu-central unreachable from 3 clusters';

interface Member {
  name: string;
  kube: KubeApiServer;
  client: KubeClient;
  daemon: AgentDaemon;
  reporter: Reporter;
}

describe('when agent daemons report their federation and multicluster links to the hub', () => {
  const prefix = `{nf-links-${randomBytes(4).toString('hex')}}`;
  const members = new Map<string, Member>();
  const peers: MetadataPeer[] = [];
  let fleet: FleetRepo;
  let hub: Hub;
  let api: Awaited<ReturnType<Hub['api']>>;
  let hubUrl: string;
  let webhook: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${hubUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  };
  const linkAlerts = (from = 0) => webhook.received.slice(from)
    .map((request) => (JSON.parse(request.body) as { alert: Alert }).alert)
    .filter((alert) => alert.rule === AlertRule.LinkPartition || alert.rule === AlertRule.LinkProblem);

  /** Plays DKP: writes the status of every link resource of `from` pointing at one of `to`. */
  const writeStatuses = (from: string, to: readonly string[], status: DkpLinkStatus) => writeLinkStatuses(members.get(from)!.kube, to, status);

  async function cli(argv: string[]): Promise<{ code: number; out: string }> {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (chunk) => (out += chunk));
    const code = await main([...argv, '--hub-url', hubUrl, '--token-file', join(dir, 'token')], { stdout, stderr: new PassThrough() });
    return { code, out };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-links-e2e-'));
    await writeFile(join(dir, 'token'), ADMIN);
    const inventory = (await loadFleet(new FsRepoReader(EXAMPLE_FLEET))).clusters;
    const ca = await createTestCa();
    for (const [index, name] of CLUSTERS.entries()) {
      peers.push(await startMetadataPeer({ ca, domain: inventory.get(name)!.publicDomain, address: `127.0.0.${110 + index}`, clusterUUID: `uuid-${name}` }));
    }
    const connectTo = new Map(peers.map((peer) => [peer.hostname, { address: peer.address, port: peer.port }]));
    [fleet, webhook] = await Promise.all([startFleetRepo(), startReceiver()]);
    hub = new Hub({
      redisUrl: REDIS_URL, prefix, secret: 'links-e2e-hub-secret-0123456789abcdef', adminTokens: [ADMIN], logger: quietLogger(),
      heartbeatIntervalMs: HEARTBEAT_MS, sweepIntervalMs: 100, leaseTtlMs: 1_000, deliveryBackoffMs: 50, rollouts: false,
      fleetRepo: { url: fleet.repo.url, cacheDir: join(dir, 'hub-repo'), intervalMs: 500 },
      // Agents here check their links every second: a shape lasting 3 s is no passing one.
      links: { raiseAfterMs: 3_000, resolveAfterMs: 2_000 },
      sinks: [{ type: 'webhook', name: 'hook', url: `${webhook.url}/alerts`, secret: 'hook-secret' }],
    });
    api = await hub.api();
    hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    await hub.start();

    const bootstrap = await fetch(`${hubUrl}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ttlSeconds: 300, maxUses: CLUSTERS.length }),
    }).then((response) => response.json() as Promise<{ token: string }>);
    await Promise.all(CLUSTERS.map(async (name) => {
      const kube = await startCluster();
      const credentialsFile = join(dir, `${name}.json`);
      await register({ hubUrl, bootstrapToken: bootstrap.token, cluster: name, region: inventory.get(name)!.region, credentialsFile });
      // us-iad-1 only reports drift, so a link resource deleted there stays deleted.
      const daemon = await daemonFor(kube, await fleet.source(), { cluster: name, linkInterval: 1, ...(name === 'us-iad-1' ? { driftMode: 'alert' as const } : {}) }, {
        linkProber: new MetadataProber({ caBundle: ca.cert, connectTo, timeoutMs: 5_000 }),
      });
      const { reporter } = await connectToHub(daemon.events, {
        credentialsFile, hubUrl, spoolDir: join(dir, `${name}-spool`), agentVersion: '0.1.0-e2e',
        heartbeatIntervalMs: HEARTBEAT_MS, coalesceMs: 20, logger: quietLogger(),
      });
      members.set(name, { name, kube, client: clientFor(kube, 'd8-istio'), daemon, reporter });
      await daemon.start();
    }));
    await Promise.all(CLUSTERS.map((name) => eventually(() => expect(members.get(name)!.daemon.lastResult?.appliedRevision).toBeTruthy(), { timeoutMs: 60_000, intervalMs: 100 })));
    for (const name of CLUSTERS) await writeStatuses(name, CLUSTERS, 'healthy');
  }, 90_000);

  afterAll(async () => {
    for (const member of members.values()) {
      await member.daemon.stop();
      await member.reporter.close();
    }
    await hub?.close();
    await webhook?.close();
    await Promise.all([...members.values()].map((member) => member.kube.stop()));
    await Promise.all(peers.map((peer) => peer.stop()));
    await fleet?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('shows every declared link healthy in the hub matrix, the cluster links, the metrics and netfleet links', async () => {
    const matrix = await eventually(async () => {
      const found = await get<LinkMatrixResponse>('/api/v1/links');
      expect(found.groups.map((group) => [group.group, group.kind, group.cells.length])).toEqual([['global-prod', 'federation', 20], ['nyc', 'multicluster', 2]]);
      expect(found.groups.flatMap((group) => group.cells).filter((cell) => cell.state !== LinkState.Healthy)).toEqual([]);
      return found;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    expect(matrix.partitions).toEqual([]);
    expect(matrix.groups.flatMap((group) => group.cells).every((cell) => cell.probeOutcome === 'ok')).toBe(true);

    // Heartbeats carry the link counts by state.
    await eventually(async () => expect((await get<ClusterDetail>('/api/v1/clusters/eu-fra-1')).links?.byState.healthy).toBe(4), { timeoutMs: 5_000 });
    const detail = await get<{ cluster: string; links: { name: string; state: string }[] }>('/api/v1/clusters/eu-fra-1/links');
    expect(detail.links.map((link) => [link.name, link.state])).toEqual(['ap-sin-1', 'eu-ams-1', 'us-iad-1', 'us-nyc-1'].map((peer) => [peer, LinkState.Healthy]));
    const metrics = await fetch(`${hubUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } }).then((response) => response.text());
    expect(metrics).toContain('netfleet_hub_links{state="healthy"} 22');
    // Link reports and heartbeats with their link summary pass the hub's schema.
    expect(metrics).toMatch(/netfleet_hub_reports_total\{kind="link",result="applied"\} [1-9]/);
    expect(metrics).toMatch(/netfleet_hub_reports_total\{kind="heartbeat",result="applied"\} [1-9]/);
    expect(metrics).not.toMatch(/netfleet_hub_reports_total\{kind="(link|heartbeat)",result="malformed"\}/);
    expect(await members.get('eu-fra-1')!.daemon.metrics.registry.getSingleMetricAsString('netfleet_links'))
      .toContain('netfleet_links{kind="federation",state="healthy"} 4');

    const { code, out } = await cli(['links', '--group', 'global-prod']);
    expect(code).toBe(0);
    expect(out).toContain('global-prod (federation) · 5 clusters · 20 links: 20 healthy');
    expect(out).toContain('  1 ap-sin-1  ap-south    · ✓ ✓ ✓ ✓');
    expect(out).toContain('  5 us-nyc-1  us-east     ✓ ✓ ✓ ✓ ·');
  });

  it('raises one partition alert when every link into eu-central fails, and resolves it when they recover', async () => {
    // Alerts of the start (links pending before DKP wrote their status) are behind us.
    await eventually(async () => expect((await get<{ items: Alert[] }>('/api/v1/alerts?status=firing')).items
      .filter((alert) => alert.rule === AlertRule.LinkPartition || alert.rule === AlertRule.LinkProblem)).toEqual([]), { timeoutMs: 30_000, intervalMs: 200 });
    const from = webhook.received.length;
    for (const name of CUT_FROM) await writeStatuses(name, EU, 'stale');

    await eventually(() => expect(linkAlerts(from).map((alert) => [alert.rule, alert.status, alert.summary])).toEqual([
      [AlertRule.LinkPartition, 'firing', PARTITION],
    ]), { timeoutMs: 20_000, intervalMs: 200 });
    expect(linkAlerts(from)[0]!.labels).toMatchObject({ region: 'eu-central', scope: 'region', direction: 'inbound' });
    const matrix = await get<LinkMatrixResponse>('/api/v1/links?region=eu-central');
    expect(matrix.partitions.map((finding) => finding.message)).toEqual([PARTITION]);
    const { code, out } = await cli(['links', '--group', 'global-prod']);
    expect(code).toBe(1);
    expect(out).toContain(PARTITION);

    for (const name of CUT_FROM) await writeStatuses(name, EU, 'healthy');
    await eventually(() => expect(linkAlerts(from).map((alert) => [alert.rule, alert.status])).toEqual([
      [AlertRule.LinkPartition, 'firing'], [AlertRule.LinkPartition, 'resolved'],
    ]), { timeoutMs: 20_000, intervalMs: 200 });
    expect((await get<LinkMatrixResponse>('/api/v1/links')).partitions).toEqual([]);
  }, 90_000);

  it('reports a link the repository declares but whose resource is gone from one peer as missing', async () => {
    await members.get('us-iad-1')!.client.delete({ apiVersion: LINK_API_VERSION, kind: 'IstioFederation', name: 'ap-sin-1' });
    const group = await eventually(async () => {
      const found = (await get<LinkMatrixResponse>('/api/v1/links?group=global-prod')).groups[0]!;
      expect(found.cells.find((cell) => cell.from === 'us-iad-1' && cell.to === 'ap-sin-1')).toMatchObject({ state: LinkState.Missing, reason: 'ResourceAbsent' });
      return found;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    expect(group.findings.map((finding) => [finding.type, finding.clusters])).toContainEqual(['missing-on-one-side', ['us-iad-1', 'ap-sin-1']]);
  });
});
