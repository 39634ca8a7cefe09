import { CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_LABEL, OWNER_VALUE, createLogger, type KubeObject } from '@netfleet/shared';
import {
  LinkKind, LinkReportBodySchema, LinkState, ProbeOutcome,
  type LinkObservation, type LinkReportBody,
} from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import { dkpLinkCrdWithConditions, startKubeApiServer, type KubeApiServer } from '@netfleet/test';
import { createTestCa, startMetadataPeer, type MetadataPeer, type TestCa } from '@netfleet/test/metadata-peer';
import { KubeClient } from '../kube/client.js';
import { LINK_API_VERSION, LinkMonitor, kubeLinkSource } from './link-monitor.js';
import { MetadataProber } from './probe.js';

/**
 * The link monitor against the Kubernetes API test server with DKP's CRDs. The tests play
 * DKP: they write each resource's status through the status subresource, in the form of
 * the DKP version at hand (metadata cache and fetch timestamps, or conditions), and run the
 * peers' metadata endpoints as HTTPS servers on loopback addresses.
 */

/** The monitor judges ages at this time; DKP's writes are placed relative to it. */
const now = new Date(Date.now() + 10 * 60_000);
const minutesBefore = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
const silent = createLogger({ name: 'links-kube-test', level: 'silent' });

const gateways = [{ address: '203.0.113.7', port: 15443 }];
const completePrivate = { ingressGateways: gateways, publicServices: [] };

let ca: TestCa;
const peers: Record<string, MetadataPeer> = {};

beforeAll(async () => {
  ca = await createTestCa();
  const specs = [
    { domain: 'eu-2.example.com', address: '127.0.0.41' },
    { domain: 'us-1.example.com', address: '127.0.0.42', certificateValidDays: 3 },
    { domain: 'ap-1.example.com', address: '127.0.0.43', mode: 'invalid-json' as const },
    { domain: 'us-2.example.com', address: '127.0.0.44' },
    { domain: 'ap-2.example.com', address: '127.0.0.45', clusterUUID: 'ap-2-first' },
  ];
  for (const spec of specs) peers[spec.domain] = await startMetadataPeer({ ca, ...spec });
  await peers['us-2.example.com']!.stop();
});

afterAll(async () => {
  await Promise.all(Object.values(peers).map((peer) => peer.stop()));
});

function prober(): MetadataProber {
  return new MetadataProber({
    caBundle: ca.cert,
    timeoutMs: 10_000,
    connectTo: new Map(Object.values(peers).map((peer) => [peer.hostname, { address: peer.address, port: peer.port }])),
  });
}

function federation(name: string, domain: string, options: { managed?: boolean; trustDomain?: string } = {}): KubeObject {
  return {
    apiVersion: LINK_API_VERSION,
    kind: 'IstioFederation',
    metadata: { name, ...(options.managed === false ? {} : { labels: { [OWNER_LABEL]: OWNER_VALUE } }) },
    spec: { metadataEndpoint: `https://istio.${domain}/metadata/`, trustDomain: options.trustDomain ?? `${name}.cluster` },
  };
}

/** Plays DKP: replaces the status through the status subresource. */
async function writeStatus(kube: KubeApiServer, client: KubeClient, name: string, status: Record<string, unknown>): Promise<void> {
  const live = await client.get({ apiVersion: LINK_API_VERSION, kind: 'IstioFederation', name });
  const api = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  await api.replaceClusterCustomObjectStatus({
    group: 'deckhouse.io', version: 'v1alpha1', plural: 'istiofederations', name, body: { ...live, status },
  });
}

function monitorFor(kube: KubeApiServer, client: KubeClient, declared: KubeObject[], sent: LinkReportBody[]): LinkMonitor {
  return new LinkMonitor({
    source: kubeLinkSource(client),
    send: async (body) => {
      sent.push(body);
    },
    localClusterDomain: 'eu-1.cluster',
    localPublicDomain: 'eu-1.example.com',
    declared: () => declared,
    prober: prober(),
    now: () => now,
    logger: silent,
  });
}

const byName = (body: LinkReportBody) => new Map(body.links.map((link) => [link.name, link] as const));
const summary = (link: LinkObservation | undefined) => [link?.state, link?.probe?.outcome];

describe('when DKP writes the metadata cache and fetch timestamps', () => {
  let kube: KubeApiServer;
  let client: KubeClient;
  const sent: LinkReportBody[] = [];
  let monitor: LinkMonitor;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    // Only federation is enabled in this cluster: IstioMulticluster is not served.
    await kube.installDkpCrds((file) => file === 'istio/istiofederation.yaml');
    client = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 1 } });
    const objects = [
      federation('eu-2', 'eu-2.example.com'),
      federation('us-1', 'us-1.example.com'),
      federation('ap-1', 'ap-1.example.com'),
      federation('us-2', 'us-2.example.com'),
      federation('ap-2', 'ap-2.example.com'),
      federation('eu-3', 'eu-2.example.com', { managed: false }),
      federation('self', 'eu-2.example.com', { trustDomain: 'eu-1.cluster' }),
      federation('legacy', 'eu-2.example.com'),
    ];
    for (const object of objects) await client.apply(object, { force: false });
    const fresh = { publicLastFetchTimestamp: minutesBefore(0.5), privateLastFetchTimestamp: minutesBefore(0.5) };
    const cache = (uuid: string, privateCache: object | undefined, times: object) => ({
      metadataCache: { public: { clusterUUID: uuid, rootCA: 'ca', authnKeyPub: 'key' }, ...(privateCache ? { private: privateCache } : {}), ...times },
    });
    await writeStatus(kube, client, 'eu-2', cache('uuid-eu-2.example.com', completePrivate, fresh));
    await writeStatus(kube, client, 'us-1', cache('uuid-us-1.example.com', completePrivate, fresh));
    await writeStatus(kube, client, 'ap-1', cache('uuid-ap-1', undefined, { publicLastFetchTimestamp: minutesBefore(0.5) }));
    await writeStatus(kube, client, 'ap-2', cache('ap-2-first', { ingressGateways: [], publicServices: [] }, fresh));
    await writeStatus(kube, client, 'eu-3', cache('uuid-eu-2.example.com', completePrivate, { publicLastFetchTimestamp: minutesBefore(12), privateLastFetchTimestamp: minutesBefore(12) }));
    // A newer hook's conditions on this CRD version: the API server prunes them, the cache remains.
    await writeStatus(kube, client, 'legacy', {
      ...cache('uuid-eu-2.example.com', completePrivate, fresh),
      conditions: [{ type: 'PublicMetadataExchangeReady', status: 'False', reason: 'FetchFailed' }],
    });
    const declared = [...objects, federation('sa-1', 'sa-1.example.com'), { ...federation('ap-9', 'ap-9.example.com'), kind: 'IstioMulticluster' }];
    monitor = monitorFor(kube, client, declared, sent);
  }, 60_000);

  afterAll(async () => {
    await kube.stop();
  });

  it('reports every link state with its probe', async () => {
    const result = await monitor.check();
    expect(result.sent).toBe(true);
    compileValidator('link report', LinkReportBodySchema).assert(result.body);
    const links = byName(result.body);
    expect(Object.fromEntries([...links].map(([name, link]) => [name, summary(link)]))).toEqual({
      'eu-2': [LinkState.Healthy, ProbeOutcome.Ok],
      'us-1': [LinkState.Healthy, ProbeOutcome.Ok],
      'ap-1': [LinkState.OneSided, ProbeOutcome.InvalidJson],
      'us-2': [LinkState.Unreachable, ProbeOutcome.ConnectionFailed],
      'ap-2': [LinkState.Incomplete, ProbeOutcome.Ok],
      'eu-3': [LinkState.Stale, ProbeOutcome.Ok],
      self: [LinkState.Misconfigured, ProbeOutcome.Ok],
      legacy: [LinkState.Healthy, ProbeOutcome.Ok],
      'sa-1': [LinkState.Missing, undefined],
      'ap-9': [LinkState.ModuleNotEnabled, undefined],
    });
    expect(links.get('us-1')?.probe?.certificateDaysLeft).toBe(2);
    expect(links.get('eu-3')?.managed).toBe(false);
    expect(links.get('ap-9')?.kind).toBe(LinkKind.Multicluster);
    expect(monitor.summary()).toMatchObject({ total: 10, byState: { healthy: 3, missing: 1, 'module-not-enabled': 1 } });
  });

  it('reports again when a peer is rebuilt, and not when nothing changed', async () => {
    await monitor.check();
    expect((await monitor.check()).sent).toBe(false);
    peers['ap-2.example.com']!.clusterUUID = 'ap-2-rebuilt';
    const result = await monitor.check();
    expect(result.sent).toBe(true);
    expect(byName(result.body).get('ap-2')?.probe).toMatchObject({ clusterUUID: 'ap-2-rebuilt', previousClusterUUID: 'ap-2-first' });
    expect(byName(result.body).get('ap-2')?.cachedClusterUUID).toBe('ap-2-first');
  });

  it('reports a link whose status DKP stops refreshing as stale', async () => {
    await writeStatus(kube, client, 'eu-2', {
      metadataCache: { public: { clusterUUID: 'uuid-eu-2.example.com' }, private: completePrivate, publicLastFetchTimestamp: minutesBefore(5), privateLastFetchTimestamp: minutesBefore(5) },
    });
    const result = await monitor.check();
    expect(result.sent).toBe(true);
    expect(byName(result.body).get('eu-2')?.state).toBe(LinkState.Stale);
  });
});

describe('when DKP writes conditions', () => {
  let kube: KubeApiServer;
  let client: KubeClient;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    client = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 1 } });
    await client.apply(dkpLinkCrdWithConditions('istio/istiofederation.yaml') as unknown as KubeObject, { force: true });
    for (const name of ['eu-2', 'us-1', 'ap-1', 'us-2', 'ap-2']) await client.apply(federation(name, `${name}.example.com`), { force: false });
  }, 60_000);

  afterAll(async () => {
    await kube.stop();
  });

  const condition = (type: string, status: string, reason: string) => ({ type, status, reason, message: `${reason} (test)`, lastTransitionTime: minutesBefore(20), lastProbeTime: minutesBefore(0.5) });
  const ok = (type: string) => condition(type, 'True', 'Succeeded');

  it('derives the states from the conditions', async () => {
    const publicCache = { clusterUUID: 'x', rootCA: 'ca', authnKeyPub: 'key' };
    await writeStatus(kube, client, 'eu-2', { conditions: [ok('PublicMetadataExchangeReady'), ok('PrivateMetadataExchangeReady'), ok('DataplaneConnectionReady')], metadataCache: { public: publicCache, private: completePrivate } });
    await writeStatus(kube, client, 'us-1', { conditions: [condition('PublicMetadataExchangeReady', 'False', 'FetchFailed'), condition('PrivateMetadataExchangeReady', 'Unknown', 'AwaitingPublic')] });
    await writeStatus(kube, client, 'ap-1', { conditions: [ok('PublicMetadataExchangeReady'), condition('PrivateMetadataExchangeReady', 'False', 'NonOKResponse')], metadataCache: { public: publicCache } });
    await writeStatus(kube, client, 'us-2', { conditions: [condition('PublicMetadataExchangeReady', 'False', 'FetchFailed'), ok('PrivateMetadataExchangeReady')], metadataCache: { public: publicCache, private: completePrivate } });
    await writeStatus(kube, client, 'ap-2', { conditions: [ok('PublicMetadataExchangeReady'), ok('PrivateMetadataExchangeReady'), condition('DataplaneConnectionReady', 'False', 'ProbeFailed')], metadataCache: { public: publicCache, private: completePrivate } });

    const sent: LinkReportBody[] = [];
    const result = await monitorFor(kube, client, [], sent).check();
    const links = byName(result.body);
    expect(Object.fromEntries([...links].map(([name, link]) => [name, [link.state, link.upstreamReason]]))).toEqual({
      'eu-2': [LinkState.Healthy, undefined],
      'us-1': [LinkState.Unreachable, 'FetchFailed'],
      'ap-1': [LinkState.OneSided, 'NonOKResponse'],
      'us-2': [LinkState.Stale, 'FetchFailed'],
      'ap-2': [LinkState.Degraded, 'ProbeFailed'],
    });
    expect(links.get('ap-1')?.message).toContain('NonOKResponse (test)');
    // Only the multicluster kind is not served here; there is nothing declared of it.
    expect(sent).toHaveLength(1);
  });
});
