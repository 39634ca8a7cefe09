import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_LABEL, OWNER_VALUE, createLogger, type KubeObject } from '@netfleet/shared';
import { LinkKind, LinkReportBodySchema, LinkState, ProbeOutcome, type LinkReportBody } from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import { eventually } from '@netfleet/test';
import { createTestCa, startMetadataPeer, type MetadataPeer } from '@netfleet/test/metadata-peer';
import { Registry } from 'prom-client';
import { LinkMonitor, declaredLinkObjects, type LinkSource } from './link-monitor.js';
import { LinkMetrics } from './metrics.js';
import { MetadataProber } from './probe.js';

/**
 * The monitor's own logic (what to report, when to send) over an in-memory LinkSource;
 * listing through the cluster client is covered with the Kubernetes API test server.
 */

const start = new Date('2026-11-26T12:00:00Z');
const silent = createLogger({ name: 'links-test', level: 'silent' });

function federation(name: string, options: { managed?: boolean; fetchedAt?: Date; endpoint?: string } = {}): KubeObject {
  const fetchedAt = options.fetchedAt?.toISOString();
  return {
    apiVersion: 'deckhouse.io/v1alpha1',
    kind: 'IstioFederation',
    metadata: {
      name,
      creationTimestamp: '2026-11-01T00:00:00Z',
      ...(options.managed === false ? {} : { labels: { [OWNER_LABEL]: OWNER_VALUE } }),
    },
    spec: { metadataEndpoint: options.endpoint ?? `https://istio.${name}.example.com/metadata/`, trustDomain: `${name}.cluster` },
    ...(fetchedAt ? {
      status: {
        metadataCache: {
          public: { clusterUUID: `uuid-${name}` },
          private: { ingressGateways: [{ address: '203.0.113.1', port: 15443 }], publicServices: [] },
          publicLastFetchTimestamp: fetchedAt,
          privateLastFetchTimestamp: fetchedAt,
        },
      },
    } : {}),
  };
}

/** A cluster's link resources held in memory; `undefined` for a kind means not served. */
class MemorySource implements LinkSource {
  objects: Partial<Record<LinkKind, KubeObject[]>> = { [LinkKind.Federation]: [], [LinkKind.Multicluster]: [] };
  failing = false;
  failures = 0;
  async list(kind: LinkKind): Promise<KubeObject[] | undefined> {
    if (this.failing) {
      this.failures += 1;
      throw new Error('cluster API unreachable');
    }
    return this.objects[kind];
  }
}

function monitorWith(source: LinkSource, options: { now?: () => Date; declared?: KubeObject[]; prober?: MetadataProber; metrics?: LinkMetrics } = {}) {
  const sent: LinkReportBody[] = [];
  let sendFails = false;
  const monitor = new LinkMonitor({
    source,
    localClusterDomain: 'eu-1.cluster',
    localPublicDomain: 'eu-1.example.com',
    now: options.now ?? (() => start),
    declared: () => options.declared ?? [],
    prober: options.prober,
    metrics: options.metrics,
    logger: silent,
    intervalMs: 20,
    maxBackoffMs: 100,
    send: async (body) => {
      if (sendFails) throw new Error('Redis unreachable');
      sent.push(body);
    },
  });
  return { monitor, sent, failSends: (fail: boolean) => (sendFails = fail) };
}

describe('when links change', () => {
  it('sends a report on the first pass and again only when a state changes', async () => {
    const source = new MemorySource();
    let now = start;
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start }), federation('us-1', { fetchedAt: start })];
    const { monitor, sent } = monitorWith(source, { now: () => now });

    expect((await monitor.check()).sent).toBe(true);
    expect(sent[0]!.links.map((link) => [link.name, link.state])).toEqual([['eu-2', LinkState.Healthy], ['us-1', LinkState.Healthy]]);

    now = new Date(start.getTime() + 60_000);
    expect((await monitor.check()).sent).toBe(false);

    now = new Date(start.getTime() + 10 * 60_000);
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: now }), federation('us-1', { fetchedAt: start })];
    expect((await monitor.check()).sent).toBe(true);
    expect(sent[1]!.links.map((link) => link.state)).toEqual([LinkState.Healthy, LinkState.Stale]);
    expect(monitor.summary()).toMatchObject({ total: 2, byState: { healthy: 1, stale: 1, unreachable: 0 } });
  });

  it('records every pass in the metrics', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start })];
    const registry = new Registry();
    const { monitor } = monitorWith(source, { metrics: new LinkMetrics(registry) });
    await monitor.check();
    expect(await registry.metrics()).toContain('netfleet_links{kind="federation",state="healthy"} 1');
  });

  it('keeps a report whose send failed and sends it on the next pass', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start })];
    const { monitor, sent, failSends } = monitorWith(source);
    failSends(true);
    await expect(monitor.check()).rejects.toThrow('Redis unreachable');
    failSends(false);
    expect((await monitor.check()).sent).toBe(true);
    expect(sent).toHaveLength(1);
  });
});

describe('when the repository declares links the cluster lacks', () => {
  it('reports them as missing, and as module-not-enabled when the kind is not served', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start })];
    source.objects[LinkKind.Multicluster] = undefined;
    const declaredMulticluster: KubeObject = { ...federation('ap-1'), kind: 'IstioMulticluster' };
    const { monitor } = monitorWith(source, { declared: [federation('eu-2'), federation('us-1'), declaredMulticluster] });
    const links = await monitor.observe();
    expect(links.map((link) => [link.kind, link.name, link.state])).toEqual([
      [LinkKind.Federation, 'eu-2', LinkState.Healthy],
      [LinkKind.Federation, 'us-1', LinkState.Missing],
      [LinkKind.Multicluster, 'ap-1', LinkState.ModuleNotEnabled],
    ]);
  });

  it('takes the declared links from the rendered objects', () => {
    const rendered = [federation('eu-2'), { ...federation('ap-1'), kind: 'IstioMulticluster' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }];
    expect(declaredLinkObjects(rendered.map((object) => ({ object }))).map((object) => object.metadata.name)).toEqual(['eu-2', 'ap-1']);
  });

  it('flags links netfleet does not manage', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start, managed: false })];
    const { monitor } = monitorWith(source);
    expect((await monitor.observe())[0]).toMatchObject({ name: 'eu-2', managed: false, state: LinkState.Healthy });
  });
});

describe('when peers are probed', () => {
  let peer: MetadataPeer;
  let prober: MetadataProber;

  beforeAll(async () => {
    const ca = await createTestCa();
    peer = await startMetadataPeer({ ca, domain: 'eu-2.example.com', address: '127.0.0.20', clusterUUID: 'uuid-1' });
    prober = new MetadataProber({ caBundle: ca.cert, connectTo: new Map([[peer.hostname, { address: peer.address, port: peer.port }]]) });
  });
  afterAll(() => peer.stop());

  it('attaches each probe to its link and reports a peer identity change', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start })];
    const { monitor, sent } = monitorWith(source, { prober });
    await monitor.check();
    compileValidator('link report', LinkReportBodySchema).assert(sent[0]);
    expect(sent[0]!.links[0]!.probe).toMatchObject({ outcome: ProbeOutcome.Ok, clusterUUID: 'uuid-1' });

    expect((await monitor.check()).sent).toBe(false);
    peer.clusterUUID = 'uuid-2';
    expect((await monitor.check()).sent).toBe(true);
    expect(sent[1]!.links[0]!.probe).toMatchObject({ clusterUUID: 'uuid-2', previousClusterUUID: 'uuid-1' });
  });
});

describe('when the cluster API fails', () => {
  it('keeps running and reports once the API answers again', async () => {
    const source = new MemorySource();
    source.objects[LinkKind.Federation] = [federation('eu-2', { fetchedAt: start })];
    source.failing = true;
    const { monitor, sent } = monitorWith(source);
    monitor.start();
    try {
      await eventually(() => expect(source.failures).toBeGreaterThanOrEqual(2));
      expect(sent).toHaveLength(0);
      source.failing = false;
      await eventually(() => expect(sent).toHaveLength(1));
    } finally {
      await monitor.stop();
    }
  });
});
