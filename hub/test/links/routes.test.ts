import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClusterLinksResponseSchema, IncomingLinksResponseSchema, LinkDetailResponseSchema, LinkKind, LinkMatrixResponseSchema, LinkReason, LinkState, linkResourceKey,
  type LinkMatrixResponse, type LinkObservation,
} from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import errors from '../../src/api/plugins/external/errors.js';
import links from '../../src/api/routes/links.js';
import { linkTopology } from '../../src/links/expected-links.js';
import { FleetLinks } from '../../src/links/fleet-links.js';

/** The link routes on the hub's error format, over a fleet link health fed with reports. */

const now = new Date('2026-11-26T12:00:00Z');
const inventory = ['eu-1', 'eu-2', 'us-1', 'ap-1'].map((name) => ({ name, region: name.slice(0, 2), publicDomain: `${name}.example.com` }));
const topology = linkTopology([
  { name: 'payments', type: 'federation', members: inventory.map((cluster) => cluster.name) },
  { name: 'core', type: 'multicluster', members: ['eu-1', 'eu-2'] },
], inventory);

let app: FastifyInstance;
let fleet: FleetLinks;

beforeAll(async () => {
  fleet = new FleetLinks(topology);
  for (const group of topology.groups) {
    for (const from of group.members) {
      const body = {
        links: topology.groups.filter((candidate) => candidate.members.includes(from)).flatMap((candidate) => candidate.members
          .filter((to) => to !== from)
          .map((to): LinkObservation => {
            const state = from === 'ap-1' && to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy;
            return {
              kind: candidate.kind, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`,
              peerDomain: `${to}.example.com`, state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched,
              message: state,
            };
          })),
      };
      fleet.ingest(from, body, now);
    }
  }
  const server = Fastify().withTypeProvider<TypeBoxTypeProvider>();
  await server.register(errors);
  await server.register(links, { links: fleet });
  await server.ready();
  app = server as unknown as FastifyInstance;
});

afterAll(() => app.close());

describe('GET /api/v1/links', () => {
  it.each([
    ['', ['core', 'payments'], 14],
    ['?group=core', ['core'], 2],
    ['?region=ap', ['payments'], 6],
    ['?state=unreachable', ['core', 'payments'], 1],
  ])('serves the matrix for %j', async (query, groups, cells) => {
    const response = await app.inject({ method: 'GET', url: `/api/v1/links${query}` });
    expect(response.statusCode).toBe(200);
    const body = compileValidator('link matrix', LinkMatrixResponseSchema).assert(response.json());
    expect(body.groups.map((group) => group.group)).toEqual(groups);
    expect(body.groups.reduce((sum, group) => sum + group.cells.length, 0)).toBe(cells);
  });

  it('names the broken pair in the payments group', async () => {
    const body = (await app.inject({ method: 'GET', url: '/api/v1/links?group=payments' })).json<LinkMatrixResponse>();
    expect(body.groups[0]!.findings.map((finding) => finding.id)).toEqual(['link:payments:ap-1:eu-1']);
  });

  it('serves JSON, the same bytes until the next report, then the new state', async () => {
    const get = () => app.inject({ method: 'GET', url: '/api/v1/links?group=payments' });
    const first = await get();
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect((await get()).body).toBe(first.body);
    const before = first.json<LinkMatrixResponse>().groups[0]!.cells.find((cell) => cell.from === 'ap-1' && cell.to === 'eu-1');
    expect(before?.state).toBe(LinkState.Unreachable);

    const healed = fleet.clusterLinks('ap-1')!.links.map((link) => ({ ...link, state: LinkState.Healthy, reason: LinkReason.ExchangeSucceeded }));
    fleet.ingest('ap-1', { links: healed }, now);
    const after = (await get()).json<LinkMatrixResponse>();
    expect(after.groups[0]!.cells.find((cell) => cell.from === 'ap-1' && cell.to === 'eu-1')?.state).toBe(LinkState.Healthy);
    expect(after.groups[0]!.findings).toEqual([]);
  });

  it('refuses an unknown state filter with the field named', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/links?state=broken' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_INVALID_REQUEST', message: expect.stringContaining('querystring/state') } });
  });
});

describe('GET /api/v1/clusters/:name/links', () => {
  it('serves the cluster’s last report', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/clusters/eu-1/links' });
    expect(response.statusCode).toBe(200);
    const body = compileValidator('cluster links', ClusterLinksResponseSchema).assert(response.json());
    expect(body).toMatchObject({ cluster: 'eu-1', reportedAt: now.toISOString() });
    expect(body.links).toHaveLength(4);
  });

  it('serves the links its peers reported towards it', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/clusters/eu-1/incoming-links' });
    expect(response.statusCode).toBe(200);
    const body = compileValidator('incoming links', IncomingLinksResponseSchema).assert(response.json());
    expect(body.links.map(({ from, observation }) => `${from} ${observation.kind} → ${observation.peerDomain}`)).toEqual([
      'ap-1 federation → eu-1.example.com', 'eu-2 federation → eu-1.example.com', 'eu-2 multicluster → eu-1.example.com', 'us-1 federation → eu-1.example.com',
    ]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/clusters/nowhere/incoming-links' })).statusCode).toBe(404);
  });

  it('answers 404 for a cluster in no mesh group', async () => {
    const response = await app.inject({ method: 'GET', url: '/api/v1/clusters/nowhere/links' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_NOT_FOUND' } });
  });
});

describe('GET /api/v1/links/:from/:to', () => {
  it('serves what the source reported of its links to the peer, each with since when it fails', async () => {
    const failingAt = new Date('2026-11-26T11:50:00Z');
    const detail = new FleetLinks(topology);
    const link = (kind: LinkObservation['kind'], state: LinkState): LinkObservation => ({
      kind, name: 'eu-2', managed: true, metadataEndpoint: 'https://istio.eu-2.example.com/metadata/', peerDomain: 'eu-2.example.com',
      state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched, message: state,
      lastExchangeAt: '2026-11-26T11:40:00.000Z',
    });
    detail.ingest('eu-1', { links: [link(LinkKind.Federation, LinkState.Healthy), link(LinkKind.Multicluster, LinkState.Unreachable)] }, now,
      { [linkResourceKey({ kind: LinkKind.Multicluster, name: 'eu-2' })]: failingAt.getTime() });
    const server = Fastify().withTypeProvider<TypeBoxTypeProvider>();
    await server.register(errors);
    await server.register(links, { links: detail });
    const response = await server.inject({ method: 'GET', url: '/api/v1/links/eu-1/eu-2' });
    expect(response.statusCode).toBe(200);
    const body = compileValidator('link detail', LinkDetailResponseSchema).assert(response.json());
    expect(body).toMatchObject({ from: 'eu-1', to: 'eu-2', reportedAt: now.toISOString() });
    expect(body.links.map(({ observation, failingSince }) => [observation.kind, observation.state, observation.lastExchangeAt, failingSince])).toEqual([
      [LinkKind.Federation, LinkState.Healthy, '2026-11-26T11:40:00.000Z', null],
      [LinkKind.Multicluster, LinkState.Unreachable, '2026-11-26T11:40:00.000Z', failingAt.toISOString()],
    ]);
    // A peer it reported nothing of: no links, still 200; a cluster the topology does not know: 404.
    expect((await server.inject({ method: 'GET', url: '/api/v1/links/eu-1/us-1' })).json()).toMatchObject({ links: [] });
    const unknown = await server.inject({ method: 'GET', url: '/api/v1/links/eu-1/nowhere' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('HUB_NOT_FOUND');
    await server.close();
  });
});
