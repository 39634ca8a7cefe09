import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProbeOutcome, type ProbeResult } from '@netfleet/shared/protocol/links';
import { createTestCa, startMetadataPeer, type MetadataPeer, type TestCa } from '@netfleet/test/metadata-peer';
import { MetadataProber, publicMetadataUrl, type ConnectTarget } from './probe.js';

let ca: TestCa;
let otherCa: TestCa;
const peers: MetadataPeer[] = [];
const closers: (() => Promise<void>)[] = [];

async function peer(options: Omit<Parameters<typeof startMetadataPeer>[0], 'ca'> & { ca?: TestCa }): Promise<MetadataPeer> {
  const started = await startMetadataPeer({ ca, ...options });
  peers.push(started);
  return started;
}

function connectTo(...list: { hostname: string; address: string; port: number }[]): Map<string, ConnectTarget> {
  return new Map(list.map((entry) => [entry.hostname, { address: entry.address, port: entry.port }]));
}

/** A TCP server that accepts connections and never answers. */
async function silentServer(address: string): Promise<{ port: number; accepted: () => number }> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  closers.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    sockets.forEach((socket) => socket.destroy());
  }));
  const port = (server.address() as { port: number }).port;
  return { port, accepted: () => accepted };
}

/** The most probes in flight at once, judged at each probe's midpoint (robust to clock rounding). */
function maxOverlap(results: (ProbeResult | undefined)[]): number {
  const intervals = results.map((result) => {
    const start = Date.parse(result!.probedAt);
    return [start, start + result!.latencyMs!] as const;
  });
  return Math.max(...intervals.map(([start, end]) => {
    const middle = (start + end) / 2;
    return intervals.filter(([from, to]) => from <= middle && middle <= to).length;
  }));
}

beforeAll(async () => {
  [ca, otherCa] = await Promise.all([createTestCa('fleet CA'), createTestCa('someone else')]);
});

afterAll(async () => {
  await Promise.all(peers.map((started) => started.stop()));
  await Promise.all(closers.map((close) => close()));
});

describe('publicMetadataUrl', () => {
  it.each([
    ['https://istio.eu-2.example.com/metadata/', 'https://istio.eu-2.example.com/metadata/public/public.json'],
    ['https://istio.eu-2.example.com/metadata', 'https://istio.eu-2.example.com/metadata/public/public.json'],
    ['file:///etc/metadata/', undefined],
    ['not a url', undefined],
  ])('maps %s to %s', (endpoint, expected) => {
    expect(publicMetadataUrl(endpoint)?.href).toBe(expected);
  });
});

describe('when the peer is healthy', () => {
  it('reports status 200, latency, certificate expiry and the peer identity', async () => {
    const healthy = await peer({ domain: 'eu-2.example.com', address: '127.0.0.2', clusterUUID: 'uuid-eu-2' });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(healthy) });
    const result = await prober.probe({ metadataEndpoint: healthy.metadataEndpoint });
    expect(result).toMatchObject({
      url: 'https://istio.eu-2.example.com/metadata/public/public.json',
      outcome: ProbeOutcome.Ok,
      httpStatus: 200,
      clusterUUID: 'uuid-eu-2',
      certificateDaysLeft: 364,
    });
    expect(result?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Math.abs(Date.parse(result!.certificateExpiresAt!) - healthy.certificateExpiresAt.getTime())).toBeLessThan(1_000);
    expect(result?.previousClusterUUID).toBeUndefined();
    expect(healthy.requests).toBe(1);
  });
});

describe('when the peer certificate expires in 3 days', () => {
  it('reports 2 full days left', async () => {
    const expiring = await peer({ domain: 'eu-3.example.com', address: '127.0.0.3', certificateValidDays: 3 });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(expiring) });
    const result = await prober.probe({ metadataEndpoint: expiring.metadataEndpoint });
    expect(result).toMatchObject({ outcome: ProbeOutcome.Ok, certificateDaysLeft: 2 });
  });
});

describe('when the peer serves invalid JSON', () => {
  it('reports invalid-json with the HTTP status and no identity', async () => {
    const broken = await peer({ domain: 'us-1.example.com', address: '127.0.0.4', mode: 'invalid-json' });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(broken) });
    const result = await prober.probe({ metadataEndpoint: broken.metadataEndpoint });
    expect(result).toMatchObject({ outcome: ProbeOutcome.InvalidJson, httpStatus: 200 });
    expect(result?.clusterUUID).toBeUndefined();
  });
});

describe('when the endpoint path is wrong', () => {
  it('reports the HTTP error status', async () => {
    const healthy = await peer({ domain: 'us-2.example.com', address: '127.0.0.5' });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(healthy) });
    const result = await prober.probe({ metadataEndpoint: 'https://istio.us-2.example.com/elsewhere/' });
    expect(result).toMatchObject({ outcome: ProbeOutcome.HttpError, httpStatus: 404, error: 'HTTP 404' });
  });
});

describe('when the peer is down', () => {
  it('reports connection-failed', async () => {
    const down = await peer({ domain: 'ap-1.example.com', address: '127.0.0.6' });
    await down.stop();
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(down) });
    const result = await prober.probe({ metadataEndpoint: down.metadataEndpoint });
    expect(result).toMatchObject({ outcome: ProbeOutcome.ConnectionFailed });
    expect(result?.error).toContain('ECONNREFUSED');
  });
});

describe('when the peer is rebuilt with a new clusterUUID', () => {
  it('reports the previous identity from the change on', async () => {
    const rebuilt = await peer({ domain: 'ap-2.example.com', address: '127.0.0.7', clusterUUID: 'uuid-before' });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(rebuilt) });
    const first = await prober.probe({ metadataEndpoint: rebuilt.metadataEndpoint });
    expect(first?.previousClusterUUID).toBeUndefined();

    rebuilt.clusterUUID = 'uuid-after';
    const second = await prober.probe({ metadataEndpoint: rebuilt.metadataEndpoint });
    expect(second).toMatchObject({ clusterUUID: 'uuid-after', previousClusterUUID: 'uuid-before', clusterUUIDChangedAt: second?.probedAt });

    const third = await prober.probe({ metadataEndpoint: rebuilt.metadataEndpoint });
    expect(third).toMatchObject({ clusterUUID: 'uuid-after', previousClusterUUID: 'uuid-before', clusterUUIDChangedAt: second?.probedAt });
  });
});

describe('when the certificate is signed by a CA the agent does not trust', () => {
  it('reports a TLS error, and succeeds with the resource CA or insecureSkipVerify', async () => {
    const foreign = await peer({ domain: 'sa-1.example.com', address: '127.0.0.8', ca: otherCa });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(foreign) });
    const untrusted = await prober.probe({ metadataEndpoint: foreign.metadataEndpoint });
    // The certificate is refused, and what it says of its expiry is still reported.
    expect(untrusted).toMatchObject({ outcome: ProbeOutcome.TlsError, certificateDaysLeft: 364 });
    expect(untrusted?.error).toMatch(/^UNABLE_TO_VERIFY_LEAF_SIGNATURE: /);
    expect(untrusted).not.toHaveProperty('clusterUUID');

    const withResourceCa = await prober.probe({ metadataEndpoint: foreign.metadataEndpoint, ca: otherCa.cert });
    expect(withResourceCa?.outcome).toBe(ProbeOutcome.Ok);
    const skipped = await prober.probe({ metadataEndpoint: foreign.metadataEndpoint, insecureSkipVerify: true });
    expect(skipped).toMatchObject({ outcome: ProbeOutcome.Ok, certificateDaysLeft: 364 });
  });
});

describe('when the certificate names another host', () => {
  it('reports a TLS error with its expiry and reads nothing', async () => {
    const other = await peer({ domain: 'af-2.example.com', address: '127.0.0.11' });
    const hostname = 'istio.impostor.example.com';
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo({ hostname, address: other.address, port: other.port }) });
    const result = await prober.probe({ metadataEndpoint: `https://${hostname}/metadata/` });
    expect(result).toMatchObject({ outcome: ProbeOutcome.TlsError, certificateDaysLeft: 364 });
    expect(result?.error).toMatch(/^ERR_TLS_CERT_ALTNAME_INVALID: /);
    expect(other.requests).toBe(0);
  });
});

describe('when the peer certificate has expired', () => {
  it('reports a TLS error and how many days ago it expired', async () => {
    const expired = await peer({ domain: 'af-1.example.com', address: '127.0.0.10', certificateValidDays: -2.5 });
    const prober = new MetadataProber({ caBundle: ca.cert, connectTo: connectTo(expired) });
    const result = await prober.probe({ metadataEndpoint: expired.metadataEndpoint });
    // Days are rounded down as for a valid certificate: negative exactly when expired.
    expect(result).toMatchObject({ outcome: ProbeOutcome.TlsError, certificateDaysLeft: -3 });
    expect(Math.abs(Date.parse(result!.certificateExpiresAt!) - expired.certificateExpiresAt.getTime())).toBeLessThan(1_000);
    expect(result?.error).toMatch(/^CERT_HAS_EXPIRED: /);
    expect(expired.requests).toBe(0);
  });
});

describe('when peers never answer', () => {
  it('gives up at the deadline and keeps at most `concurrency` probes in flight', async () => {
    const silent = await silentServer('127.0.0.9');
    const hosts = Array.from({ length: 6 }, (_, index) => `istio.slow-${index}.example.com`);
    const prober = new MetadataProber({
      timeoutMs: 200,
      concurrency: 2,
      connectTo: new Map(hosts.map((host) => [host, { address: '127.0.0.9', port: silent.port }])),
    });
    const results = await prober.probeAll(hosts.map((host) => ({ metadataEndpoint: `https://${host}/metadata/` })));
    expect(results.map((result) => result?.outcome)).toEqual(hosts.map(() => ProbeOutcome.Timeout));
    expect(silent.accepted()).toBe(6);
    expect(maxOverlap(results)).toBe(2);
  });

  it('skips endpoints that are not HTTPS', async () => {
    expect(await new MetadataProber().probe({ metadataEndpoint: 'file:///etc/metadata/' })).toBeUndefined();
  });
});
