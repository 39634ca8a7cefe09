import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, createLogger, renderRepository, type ClusterInfo, type Fleet, type KubeObject, type RenderResult } from '@netfleet/shared';
import {
  LinkFindingType, LinkKind, LinkMatrixResponseSchema, LinkState, ProbeOutcome,
  type LinkReportBody, type MeshGroupMatrix, type PartitionFinding, type LinkFinding,
} from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import { DKP_LINK_CRD_FILES, dkpLinkCrdWithConditions, startKubeApiServer, type KubeApiServer } from '../src/index.js';
import { createTestCa, startMetadataPeer, type MetadataPeer, type TestCa } from '../src/metadata-peer.js';
import { KubeClient } from '../../agent/src/kube/client.js';
import { LINK_API_VERSION, LinkMonitor, declaredLinkObjects, kubeLinkSource } from '../../agent/src/links/link-monitor.js';
import { MetadataProber } from '../../agent/src/links/probe.js';
import { linkTopology } from '../../hub/src/links/expected-links.js';
import { FleetLinks } from '../../hub/src/links/fleet-links.js';
import { formatLinks } from '../../cli/src/commands/links.js';

/**
 * Link health across a fleet: the example fleet's two mesh groups (federation global-prod:
 * eu-fra-1, eu-ams-1, us-nyc-1, us-iad-1, ap-sin-1; multicluster nyc: us-nyc-1, us-nyc-2),
 * six clusters in three regions, each with its own Kubernetes API test server and agent
 * link monitor, reporting to the hub's link health. The test plays DKP by writing statuses
 * through the status subresource: eu-ams-1 and us-nyc-1 in the conditions form of newer DKP,
 * the others in the timestamps form; peers' metadata endpoints run on
 * loopback: healthy, a certificate expiring in 3 days (us-nyc-1), invalid JSON (us-iad-1),
 * down (ap-sin-1), and one whose UUID changes (us-nyc-2).
 */

const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
/** The agents judge ages at this time (resources exist for a while by then). */
const judgedAt = new Date(Date.now() + 30 * 60_000);
const minutesBefore = (minutes: number) => new Date(judgedAt.getTime() - minutes * 60_000).toISOString();
/** The hub's clock for report arrival and alert timing. */
const hubTime = (minutes: number) => new Date(Date.UTC(2026, 10, 26, 12) + minutes * 60_000);
const silent = createLogger({ name: 'links-fleet', level: 'silent' });

const PEER_BEHAVIOUR: Record<string, { certificateValidDays?: number; mode?: 'invalid-json'; down?: boolean }> = {
  'us-nyc-1': { certificateValidDays: 3 },
  'us-iad-1': { mode: 'invalid-json' },
  'ap-sin-1': { down: true },
};

interface Member {
  info: ClusterInfo;
  kube: KubeApiServer;
  client: KubeClient;
  declared: KubeObject[];
  monitor: LinkMonitor;
  lastReport?: LinkReportBody;
}

let fleet: Fleet;
let results: Map<string, RenderResult>;
let ca: TestCa;
const peers = new Map<string, MetadataPeer>();
const members = new Map<string, Member>();
let links: FleetLinks;

/** Status DKP writes for one link, by scenario. */
type DkpStatus = 'healthy' | 'stale' | 'one-sided' | 'incomplete' | 'none';

/** Clusters on a DKP version whose link CRDs have `status.conditions`, which its hooks write; the others write fetch timestamps only. */
const CONDITIONS_FORM = new Set(['eu-ams-1', 'us-nyc-1']);

function statusOf(from: string, kind: string, peer: string, status: DkpStatus): Record<string, unknown> | undefined {
  if (status === 'none') return undefined;
  const gateways = [{ address: '203.0.113.5', port: 15443 }];
  const complete = kind === 'IstioFederation'
    ? { ingressGateways: gateways, publicServices: [] }
    : { apiHost: 'istio-api-proxy.example', networkName: 'nyc', ingressGateways: gateways };
  const publicCache = { clusterUUID: `uuid-${peer}`, rootCA: 'ca', authnKeyPub: 'key' };
  if (CONDITIONS_FORM.has(from)) return conditionsStatus(kind, status, publicCache, complete);
  const fetchedAt = minutesBefore(status === 'stale' ? 12 : 0.5);
  return {
    metadataCache: {
      public: publicCache,
      publicLastFetchTimestamp: fetchedAt,
      ...(status === 'one-sided' ? {} : {
        private: status === 'incomplete' ? { ingressGateways: [], publicServices: [] } : complete,
        privateLastFetchTimestamp: fetchedAt,
      }),
    },
  };
}

/** The same scenarios as newer DKP writes them: a condition per exchange step, the cache beside them. */
function conditionsStatus(kind: string, status: Exclude<DkpStatus, 'none'>, publicCache: object, complete: object): Record<string, unknown> {
  const condition = (type: string, value: 'True' | 'False', reason: string) => ({
    type, status: value, reason, message: `${type} ${reason}`, lastTransitionTime: minutesBefore(30), lastProbeTime: minutesBefore(0.5),
  });
  const ok = (type: string) => condition(type, 'True', 'Succeeded');
  const exchange = {
    healthy: [ok('PublicMetadataExchangeReady'), ok('PrivateMetadataExchangeReady')],
    stale: [condition('PublicMetadataExchangeReady', 'False', 'FetchFailed'), ok('PrivateMetadataExchangeReady')],
    'one-sided': [ok('PublicMetadataExchangeReady'), condition('PrivateMetadataExchangeReady', 'False', 'NonOKResponse')],
    incomplete: [ok('PublicMetadataExchangeReady'), condition('PrivateMetadataExchangeReady', 'False', 'MissingIngressGateways')],
  }[status];
  const remoteApi = kind === 'IstioMulticluster' ? [condition('RemoteAPIServerReady', 'True', 'RemoteAPIReachable')] : [];
  return {
    conditions: [...exchange, ...remoteApi, ok('DataplaneConnectionReady')],
    metadataCache: { public: publicCache, ...(status === 'one-sided' || status === 'incomplete' ? {} : { private: complete }) },
  };
}

/** The baseline: what DKP's hooks would have written given the peers above. */
function baselineStatus(from: string, to: string): DkpStatus {
  if (to === 'ap-sin-1') return 'none';
  if (to === 'us-iad-1') return 'stale';
  if (from === 'eu-fra-1' && to === 'us-nyc-1') return 'one-sided';
  if (from === 'us-nyc-1' && to === 'eu-ams-1') return 'incomplete';
  return 'healthy';
}

async function writeStatus(member: Member, object: KubeObject, status: DkpStatus): Promise<void> {
  const body = statusOf(member.info.name, object.kind, object.metadata.name, status);
  if (!body) return;
  const live = await member.client.get({ apiVersion: LINK_API_VERSION, kind: object.kind, name: object.metadata.name });
  const plural = object.kind === 'IstioFederation' ? 'istiofederations' : 'istiomulticlusters';
  const { CustomObjectsApi } = await import('@kubernetes/client-node');
  await member.kube.kubeConfig().makeApiClient(CustomObjectsApi).replaceClusterCustomObjectStatus({
    group: 'deckhouse.io', version: 'v1alpha1', plural, name: object.metadata.name, body: { ...live, status: body },
  });
}

/** Every agent runs one pass; reports go to the hub's link health at `minute`. */
async function reportAll(minute: number): Promise<{ raised: string[]; resolved: string[] }> {
  const raised: string[] = [];
  const resolved: string[] = [];
  for (const [name, member] of members) {
    const { body } = await member.monitor.check();
    const changes = links.ingest(name, body, hubTime(minute));
    raised.push(...changes.raised.map((finding) => finding.id));
    resolved.push(...changes.resolved.map((finding) => finding.id));
  }
  return { raised, resolved };
}

const ids = (findings: (LinkFinding | PartitionFinding)[]) => findings.map((finding) => finding.id).sort();

beforeAll(async () => {
  ({ fleet, results } = await renderRepository(new FsRepoReader(EXAMPLE_FLEET)));
  const names = [...new Set(fleet.meshGroups.flatMap((group) => group.members))].sort();
  expect(names).toEqual(['ap-sin-1', 'eu-ams-1', 'eu-fra-1', 'us-iad-1', 'us-nyc-1', 'us-nyc-2']);

  ca = await createTestCa();
  for (const [index, name] of names.entries()) {
    const info = fleet.clusters.get(name)!;
    const behaviour = PEER_BEHAVIOUR[name] ?? {};
    const peer = await startMetadataPeer({
      ca, domain: info.publicDomain, address: `127.0.0.${70 + index}`, clusterUUID: `uuid-${name}`,
      ...(behaviour.certificateValidDays ? { certificateValidDays: behaviour.certificateValidDays } : {}),
      ...(behaviour.mode ? { mode: behaviour.mode } : {}),
    });
    if (behaviour.down) await peer.stop();
    peers.set(name, peer);
  }
  const connectTo = new Map([...peers.values()].map((peer) => [peer.hostname, { address: peer.address, port: peer.port }]));

  for (const name of names) {
    const info = fleet.clusters.get(name)!;
    const kube = await startKubeApiServer();
    const client = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 1 } });
    if (CONDITIONS_FORM.has(name)) {
      for (const file of DKP_LINK_CRD_FILES) await client.apply(dkpLinkCrdWithConditions(file) as unknown as KubeObject, { force: true });
    } else {
      // us-nyc-2 has not enabled multicluster: IstioMulticluster is not served there.
      await kube.installDkpCrds((file) => file === 'istio/istiofederation.yaml' || (name !== 'us-nyc-2' && file === 'istio/istiomulticluster.yaml'));
    }
    const declared = declaredLinkObjects(results.get(name)!.objects);
    const monitor = new LinkMonitor({
      source: kubeLinkSource(client),
      send: async () => undefined,
      localClusterDomain: info.clusterDomain,
      localPublicDomain: info.publicDomain,
      declared: () => declared,
      prober: new MetadataProber({ caBundle: ca.cert, timeoutMs: 10_000, connectTo }),
      now: () => judgedAt,
      logger: silent,
    });
    const member: Member = { info, kube, client, declared, monitor };
    members.set(name, member);
    for (const object of declared) {
      if (name === 'us-nyc-2') continue; // kind not served
      if (name === 'us-iad-1' && object.metadata.name === 'ap-sin-1') continue; // never applied: missing
      // A hand edit that makes DKP skip the link: trust domain of this very cluster.
      const applied = name === 'eu-ams-1' && object.metadata.name === 'us-iad-1'
        ? { ...object, spec: { ...(object.spec as object), trustDomain: info.clusterDomain } }
        : object;
      await client.apply(applied, { force: false });
      await writeStatus(member, object, baselineStatus(name, object.metadata.name));
    }
  }
  // Partitions analysed after every report: the test follows the findings report by report
  // (when the hub analyses is hub/test/links/fleet-links.test.ts's).
  links = new FleetLinks(linkTopology(fleet.meshGroups, fleet.clusters.values()), { analysisIntervalMs: 0 });
});

afterAll(async () => {
  await Promise.all([...peers.values()].map((peer) => peer.stop()));
  await Promise.all([...members.values()].map((member) => member.kube.stop()));
});

function cells(group: MeshGroupMatrix): Record<string, string> {
  return Object.fromEntries(group.cells.map((cell) => [`${cell.from}→${cell.to}`, cell.state]));
}

describe('when every agent reports its links', () => {
  it('produces each link state and shows it in the matrix, the API response and the CLI grid', async () => {
    await reportAll(0);
    const view = compileValidator('link matrix', LinkMatrixResponseSchema).assert(links.view());
    const [globalProd, nyc] = [view.groups.find((group) => group.group === 'global-prod')!, view.groups.find((group) => group.group === 'nyc')!];
    expect(cells(globalProd)).toEqual({
      'ap-sin-1→eu-ams-1': LinkState.Healthy, 'ap-sin-1→eu-fra-1': LinkState.Healthy, 'ap-sin-1→us-iad-1': LinkState.Stale, 'ap-sin-1→us-nyc-1': LinkState.Healthy,
      'eu-ams-1→ap-sin-1': LinkState.Unreachable, 'eu-ams-1→eu-fra-1': LinkState.Healthy, 'eu-ams-1→us-iad-1': LinkState.Misconfigured, 'eu-ams-1→us-nyc-1': LinkState.Healthy,
      'eu-fra-1→ap-sin-1': LinkState.Unreachable, 'eu-fra-1→eu-ams-1': LinkState.Healthy, 'eu-fra-1→us-iad-1': LinkState.Stale, 'eu-fra-1→us-nyc-1': LinkState.OneSided,
      'us-iad-1→ap-sin-1': LinkState.Missing, 'us-iad-1→eu-ams-1': LinkState.Healthy, 'us-iad-1→eu-fra-1': LinkState.Healthy, 'us-iad-1→us-nyc-1': LinkState.Healthy,
      'us-nyc-1→ap-sin-1': LinkState.Unreachable, 'us-nyc-1→eu-ams-1': LinkState.Incomplete, 'us-nyc-1→eu-fra-1': LinkState.Healthy, 'us-nyc-1→us-iad-1': LinkState.Stale,
    });
    expect(cells(nyc)).toEqual({ 'us-nyc-1→us-nyc-2': LinkState.Healthy, 'us-nyc-2→us-nyc-1': LinkState.ModuleNotEnabled });

    const probeOf = (from: string, to: string) => globalProd.cells.find((cell) => cell.from === from && cell.to === to)!;
    expect(probeOf('eu-fra-1', 'ap-sin-1').probeOutcome).toBe(ProbeOutcome.ConnectionFailed);
    expect(probeOf('eu-fra-1', 'us-iad-1').probeOutcome).toBe(ProbeOutcome.InvalidJson);
    expect(probeOf('eu-ams-1', 'us-nyc-1')).toMatchObject({ probeOutcome: ProbeOutcome.Ok, certificateDaysLeft: 2 });

    // Links into ap-sin-1 and us-iad-1 are explained by the partitions below.
    expect(globalProd.findings.map((finding) => [finding.type, finding.clusters.join(',')]).sort()).toEqual([
      [LinkFindingType.Asymmetric, 'eu-ams-1,us-iad-1'],
      [LinkFindingType.Asymmetric, 'eu-ams-1,us-nyc-1'],
      [LinkFindingType.Asymmetric, 'eu-fra-1,us-nyc-1'],
      [LinkFindingType.CertificateExpiring, 'us-nyc-1'],
      [LinkFindingType.MissingOnOneSide, 'us-iad-1,ap-sin-1'],
    ]);
    expect(view.partitions.map((finding) => finding.message).sort()).toEqual([
      'cluster ap-sin-1 unreachable from 3 clusters',
      'cluster us-iad-1 unreachable from 3 clusters',
    ]);

    const grid = formatLinks(links.view({ group: 'global-prod' }), 'grid');
    expect(grid).toContain('global-prod (federation) · 5 clusters · 20 links: 10 healthy, 3 stale, 1 one-sided, 3 unreachable, 1 incomplete, 1 misconfigured, 1 missing');
    expect(grid).toContain('  1 ap-sin-1  ap-south    · ✓ ✓ S ✓');
    expect(grid).toContain('  2 eu-ams-1  eu-central  X · ✓ M ✓');
    expect(grid).toContain('  3 eu-fra-1  eu-central  X ✓ · S 1');
    expect(grid).toContain('  4 us-iad-1  us-east     - ✓ ✓ · ✓');
    expect(grid).toContain('  5 us-nyc-1  us-east     X I ✓ S ·');
  });

  it('names a peer rebuilt with a new clusterUUID', async () => {
    peers.get('us-nyc-2')!.clusterUUID = 'uuid-us-nyc-2-rebuilt';
    await reportAll(1);
    const nyc = links.view({ group: 'nyc' }).groups[0]!;
    expect(nyc.findings.map((finding) => finding.message)).toContainEqual(expect.stringContaining('us-nyc-2 was rebuilt: clusterUUID changed from uuid-us-nyc-2 to uuid-us-nyc-2-rebuilt'));
  });
});

describe('when every link into region eu-central is cut', () => {
  it('fires exactly one partition alert and no per-link alert, and resolves it when the links come back', async () => {
    expect(ids(links.tick(hubTime(5)).raised)).not.toContain('partition:region:eu-central:inbound');
    const firingBefore = ids(links.firing());

    const intoEu = (from: string) => [...members.get(from)!.declared].filter((object) => ['eu-fra-1', 'eu-ams-1'].includes(object.metadata.name));
    for (const from of ['us-nyc-1', 'us-iad-1', 'ap-sin-1']) {
      for (const object of intoEu(from)) await writeStatus(members.get(from)!, object, 'stale');
    }
    const cut = await reportAll(10);
    expect(cut.raised).toEqual([]);
    const fired = links.tick(hubTime(13));
    expect(fired.raised.map((finding) => finding.message)).toEqual(['region eu-central unreachable from 3 clusters']);
    // Per-link alerts the partition explains stop firing; nothing else changes.
    expect([...ids(links.firing()), ...ids(fired.resolved), ...cut.resolved].sort())
      .toEqual([...firingBefore, 'partition:region:eu-central:inbound'].sort());

    for (const from of ['us-nyc-1', 'us-iad-1', 'ap-sin-1']) {
      for (const object of intoEu(from)) await writeStatus(members.get(from)!, object, baselineStatus(from, object.metadata.name));
    }
    await reportAll(20);
    expect(links.view().partitions.map((finding) => finding.id)).not.toContain('partition:region:eu-central:inbound');
    expect(ids(links.tick(hubTime(22)).resolved)).toContain('partition:region:eu-central:inbound');
  });
});

describe('the link kinds of the fleet', () => {
  it('cover both mesh group types', () => {
    expect(new Set(links.view().groups.map((group) => group.kind))).toEqual(new Set([LinkKind.Federation, LinkKind.Multicluster]));
  });
});
