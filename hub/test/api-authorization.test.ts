import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ReportKind, signReport, type Credentials } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { rolloutIdOf } from '../src/rollout/ids.js';
import { ALL_AT_ONCE_POLICY, ADMIN_TOKEN, READ_TOKEN, heartbeatBody, registerCluster, report, signedWebhookHeaders, testHub, testKeySpace } from './helpers.js';

/**
 * Every route × every kind of caller, with the status each must get. The rows are checked
 * against the API's own route table: a route added without a row fails the first test.
 */
const PRINCIPALS = ['admin', 'reader', 'self', 'other', 'webhook', 'bootstrap', 'none'] as const;
type PrincipalName = (typeof PRINCIPALS)[number];

const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123456789';
const REVISION = 'abcdef0123456789abcdef0123456789abcdef01';
const ROLLOUT = rolloutIdOf(REVISION);

/** What one cell needs: a fresh cluster of its own (rotate and revoke change it), another cluster, a bootstrap token. */
interface Fixture {
  self: Credentials;
  other: Credentials;
  bootstrap: { id: string; token: string };
  fresh: string;
}

interface Row {
  /** The URL with its parameters filled in, and the body. */
  request(fixture: Fixture): { url: string; payload?: Record<string, unknown> };
  expected: Record<PrincipalName, number>;
  /** The response is an endless stream: only its status is read. */
  stream?: boolean;
}

/** Statuses by access level; a row lists the status of an allowed call (2xx, or the 4xx the resource gives). */
const publicRoute = (status: number) => ({ admin: status, reader: status, self: status, other: status, webhook: status, bootstrap: status, none: status });
const read = (status: number) => ({ admin: status, reader: status, self: 403, other: 403, webhook: 401, bootstrap: 401, none: 401 });
const admin = (status: number) => ({ admin: status, reader: 403, self: 403, other: 403, webhook: 401, bootstrap: 401, none: 401 });
const clusterRead = (status: number) => ({ admin: status, reader: status, self: status, other: 403, webhook: 401, bootstrap: 401, none: 401 });
const clusterAct = (status: number) => ({ admin: status, reader: 403, self: status, other: 403, webhook: 401, bootstrap: 401, none: 401 });
const agent = (status: number) => ({ admin: 403, reader: 403, self: status, other: status, webhook: 401, bootstrap: 401, none: 401 });

const PUSH = { ref: 'refs/heads/main', after: REVISION };
const url = (path: string) => () => ({ url: path });

const ROWS: Record<string, Row> = {
  'GET /healthz': { request: url('/healthz'), expected: publicRoute(200) },
  'GET /readyz': { request: url('/readyz'), expected: publicRoute(200) },
  'GET /metrics': { request: url('/metrics'), expected: publicRoute(200) },
  'GET /openapi.json': { request: url('/openapi.json'), expected: publicRoute(200) },
  'GET /api/v1/clusters': { request: url('/api/v1/clusters'), expected: read(200) },
  'GET /api/v1/clusters/:name': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}` }), expected: clusterRead(200) },
  'GET /api/v1/clusters/:name/drift': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/drift` }), expected: clusterRead(200) },
  'GET /api/v1/clusters/:name/events': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/events` }), expected: clusterRead(200) },
  // In no mesh group: found by nobody, refused to other clusters.
  'GET /api/v1/clusters/:name/links': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/links` }), expected: clusterRead(404) },
  // Peers' reports: not for the cluster's own token.
  'GET /api/v1/clusters/:name/incoming-links': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/incoming-links` }), expected: read(404) },
  'POST /api/v1/clusters/:name/rotate': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/rotate` }), expected: clusterAct(200) },
  'POST /api/v1/clusters/:name/revoke': { request: (f) => ({ url: `/api/v1/clusters/${f.self.cluster}/revoke` }), expected: admin(204) },
  'GET /api/v1/alerts': { request: url('/api/v1/alerts'), expected: read(200) },
  'GET /api/v1/alerts/deliveries': { request: url('/api/v1/alerts/deliveries'), expected: read(200) },
  'GET /api/v1/audit': { request: url('/api/v1/audit'), expected: read(200) },
  'POST /api/v1/bootstrap-tokens': { request: () => ({ url: '/api/v1/bootstrap-tokens', payload: { ttlSeconds: 60, maxUses: 1 } }), expected: admin(201) },
  'GET /api/v1/bootstrap-tokens': { request: url('/api/v1/bootstrap-tokens'), expected: admin(200) },
  'DELETE /api/v1/bootstrap-tokens/:id': { request: (f) => ({ url: `/api/v1/bootstrap-tokens/${f.bootstrap.id}` }), expected: admin(204) },
  'POST /api/v1/register': {
    request: (f) => ({ url: '/api/v1/register', payload: { cluster: f.fresh, region: 'eu' } }),
    expected: { admin: 401, reader: 401, self: 401, other: 401, webhook: 401, bootstrap: 201, none: 401 },
  },
  'GET /api/v1/rollouts': { request: url('/api/v1/rollouts'), expected: read(200) },
  'GET /api/v1/rollouts/:id': { request: url(`/api/v1/rollouts/${ROLLOUT}`), expected: read(200) },
  // The one row per route pattern pauses (then resumes, so the next cell finds it progressing).
  'POST /api/v1/rollouts/:id/:action': { request: url(`/api/v1/rollouts/${ROLLOUT}/pause`), expected: admin(200) },
  // The cluster has not failed: nothing to retry.
  'POST /api/v1/rollouts/:id/clusters/:cluster/retry': { request: (f) => ({ url: `/api/v1/rollouts/${ROLLOUT}/clusters/${f.other.cluster}/retry` }), expected: admin(409) },
  'GET /api/v1/assignment': { request: url('/api/v1/assignment'), expected: agent(200) },
  'POST /api/v1/webhooks/git': {
    request: () => ({ url: '/api/v1/webhooks/git', payload: PUSH }),
    expected: { admin: 401, reader: 401, self: 401, other: 401, webhook: 202, bootstrap: 401, none: 401 },
  },
  'GET /api/v1/links': { request: url('/api/v1/links'), expected: read(200) },
  // The clusters are in no mesh group here.
  'GET /api/v1/links/:from/:to': { request: (f) => ({ url: `/api/v1/links/${f.self.cluster}/${f.other.cluster}` }), expected: read(404) },
  // The cell's own cluster's signed report: only that cluster may send it.
  'POST /api/v1/reports': {
    request: (f) => ({ url: '/api/v1/reports', payload: { reports: [signReport(report(f.self.cluster, 1, ReportKind.Heartbeat, heartbeatBody()), f.self.reportKey)] } }),
    expected: { admin: 403, reader: 403, self: 202, other: 403, webhook: 401, bootstrap: 401, none: 401 },
  },
  'GET /api/v1/whoami': { request: url('/api/v1/whoami'), expected: read(200) },
  // A stream that does not end: the cell reads its status and hangs up.
  'GET /api/v1/live': { request: url('/api/v1/live'), expected: read(200), stream: true },
  'GET /ui': { request: url('/ui'), expected: publicRoute(301) },
  'GET /ui/': { request: url('/ui/'), expected: publicRoute(200) },
  'GET /ui/assets/*': { request: url('/ui/assets/none-such.js'), expected: publicRoute(404) },
};


/** A route's row; HEAD is answered by its GET route. */
const rowKey = (method: string, path: string) => `${method === 'HEAD' ? 'GET' : method} ${path}`;

describe('who may call each route of the hub API', () => {
  const space = testKeySpace('authz');
  let hub: Hub;
  let api: FastifyInstance;
  let cacheDir: string;
  let other: Credentials;
  let serial = 0;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-authz-'));
    hub = testHub(space, {
      sweeper: false, rollouts: false, webhookSecret: WEBHOOK_SECRET,
      // Nothing listens there: the follower's fetches fail, which no route waits for.
      fleetRepo: { url: 'http://127.0.0.1:9/fleet.git', cacheDir, intervalMs: 600_000 },
    });
    await hub.start();
    api = await hub.api();
    other = await registerCluster(hub, 'other', 'eu');
    await hub.rollouts.heads.publish({ revision: REVISION, policy: ALL_AT_ONCE_POLICY, seenAt: Date.now() });
    await hub.rollouts.controller.tick();
  });

  afterAll(async () => {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
    await space.cleanup();
  });

  async function newFixture(): Promise<Fixture> {
    serial += 1;
    const self = await registerCluster(hub, `self-${serial}`, 'eu');
    const { id, token } = await hub.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
    return { self, other, bootstrap: { id, token }, fresh: `fresh-${serial}` };
  }

  function headers(principal: PrincipalName, fixture: Fixture, body: string): Record<string, string> {
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const json: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
    switch (principal) {
      case 'admin': return { ...json, ...bearer(ADMIN_TOKEN) };
      case 'reader': return { ...json, ...bearer(READ_TOKEN) };
      case 'self': return { ...json, ...bearer(fixture.self.apiToken) };
      case 'other': return { ...json, ...bearer(fixture.other.apiToken) };
      case 'bootstrap': return { ...json, ...bearer(fixture.bootstrap.token) };
      case 'webhook': return signedWebhookHeaders(WEBHOOK_SECRET, body);
      case 'none': return json;
    }
  }

  it('has a row for every route of the API and no row for a route it does not have', () => {
    const routes = new Set(api.routeAccess.map((route) => rowKey(route.method, route.url)));
    expect([...routes].filter((key) => !(key in ROWS)).sort()).toEqual([]);
    expect(Object.keys(ROWS).filter((key) => !routes.has(key)).sort()).toEqual([]);
  });

  const cells = Object.entries(ROWS).flatMap(([key, row]) => PRINCIPALS.map((principal) => [key, principal, row.expected[principal], row] as const));

  it.each(cells)('%s as %s: %i', async (key, principal, status, row) => {
    const method = key.split(' ')[0] as 'GET' | 'POST' | 'DELETE';
    const fixture = await newFixture();
    const { url: path, payload } = row.request(fixture);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const request = { method, url: path, headers: headers(principal, fixture, body), ...(body ? { payload: body } : {}) };
    if (row.stream && status === 200) {
      const response = await api.inject({ ...request, payloadAsStream: true });
      response.stream().destroy();
      expect(response.statusCode).toBe(200);
      return;
    }
    const response = await api.inject(request);
    expect(response.statusCode, response.body).toBe(status);
    if (status >= 400) expect(response.json().error.code).toMatch(/^HUB_/);
    if (key === 'POST /api/v1/rollouts/:id/:action' && status === 200) {
      expect((await api.inject({ method: 'POST', url: `/api/v1/rollouts/${ROLLOUT}/resume`, headers: headers('admin', fixture, '') })).statusCode).toBe(200);
    }
  });
});
