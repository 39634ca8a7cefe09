import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { main } from '../../../cli/src/main.js';
import errors from '../../src/api/plugins/external/errors.js';
import linkRoutes from '../../src/api/routes/links.js';
import { linkTopology } from '../../src/links/expected-links.js';
import { FleetLinks } from '../../src/links/fleet-links.js';

/** `netfleet links` end to end: the CLI over HTTP against the hub's link routes. */

const now = new Date('2026-11-26T12:00:00Z');
const names = ['eu-1', 'eu-2', 'us-1'];
const server = Fastify();
let url = '';

beforeAll(async () => {
  const inventory = names.map((name) => ({ name, region: name.slice(0, 2), publicDomain: `${name}.example.com` }));
  const fleet = new FleetLinks(linkTopology([{ name: 'payments', type: 'federation', members: names }], inventory));
  for (const from of names) {
    const links = names.filter((to) => to !== from).map((to): LinkObservation => {
      const state = from === 'us-1' && to === 'eu-2' ? LinkState.Stale : LinkState.Healthy;
      return {
        kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`,
        peerDomain: `${to}.example.com`, state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.PublicMetadataStale,
        message: `public metadata of istio.${to}.example.com was last fetched 9m ago`,
      };
    });
    fleet.ingest(from, { links }, now);
  }
  await server.register(errors);
  await server.register(linkRoutes, { links: fleet });
  url = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(() => server.close());

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (chunk) => (out += chunk));
  const saved = process.env.NETFLEET_HUB_TOKEN;
  process.env.NETFLEET_HUB_TOKEN = 'read-token';
  try {
    return { code: await main(argv, { stdout, stderr: new PassThrough() }), out };
  } finally {
    if (saved === undefined) delete process.env.NETFLEET_HUB_TOKEN;
    else process.env.NETFLEET_HUB_TOKEN = saved;
  }
}

describe('when netfleet links asks a running hub', () => {
  it('prints the grid with the finding and exits 1', async () => {
    const { code, out } = await run(['links', '--hub-url', url, '--group', 'payments']);
    expect(code).toBe(1);
    expect(out).toContain('payments (federation) · 3 clusters · 6 links: 5 healthy, 1 stale');
    expect(out).toContain('  3 us-1  us  ✓ S ·');
    expect(out).toContain('asymmetric             eu-2→us-1 is healthy but us-1→eu-2 is stale');
  });

  it('passes the filters on and prints JSON', async () => {
    const { code, out } = await run(['links', '--hub-url', url, '--state', 'stale', '-o', 'json']);
    expect(code).toBe(1);
    expect(JSON.parse(out).groups[0].cells).toEqual([
      expect.objectContaining({ from: 'us-1', to: 'eu-2', state: 'stale', reason: 'PublicMetadataStale' }),
    ]);
  });
});
