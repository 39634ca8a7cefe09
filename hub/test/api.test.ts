import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Action, ReportKind, SyncReason, type ClusterDetail, type ClusterList, type Credentials, type EventList } from '@netfleet/shared';
import { emptyLinkSummary } from '@netfleet/shared/protocol/links';
import type { Hub } from '../src/index.js';
import {
  ADMIN_TOKEN, READ_TOKEN, TestSender, eventually, heartbeatBody, registerCluster, report, syncBody, testHub, testKeySpace,
} from './helpers.js';

const space = testKeySpace('api');
let hub: Hub;
let api: FastifyInstance;
let sender: TestSender;
const credentials = new Map<string, Credentials>();

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function list(query: string, token = READ_TOKEN): Promise<ClusterList> {
  const response = await api.inject({ method: 'GET', url: `/api/v1/clusters?${query}`, headers: auth(token) });
  expect(response.statusCode).toBe(200);
  return response.json<ClusterList>();
}

beforeAll(async () => {
  hub = testHub(space, { sweeper: false });
  await hub.start();
  api = await hub.api();
  sender = new TestSender(space);
  // 12 clusters: 3 regions, two tiers; the even ones report revision 2222bbbb, the rest 1111aaaa.
  for (let index = 0; index < 12; index += 1) {
    const name = `c-${String(index).padStart(2, '0')}`;
    const region = ['eu', 'us', 'ap'][index % 3]!;
    credentials.set(name, await registerCluster(hub, name, region, { tier: index < 6 ? 'prod' : 'dev' }));
    if (index < 10) await sender.send(credentials.get(name)!, report(name, 1, ReportKind.Sync, syncBody(index % 2 === 0 ? '2222bbbb' : '1111aaaa')));
  }
  await sender.send(credentials.get('c-09')!, report('c-09', 2, ReportKind.Sync, syncBody('3333cccc', SyncReason.ApplyFailed)));
  await eventually(async () => expect((await hub.fleet.detail('c-09'))?.syncStatus).toBe('failed-transient'));
  await eventually(async () => expect((await hub.fleet.list({ limit: 100, state: 'online' as never })).total).toBe(10));
});

afterAll(async () => {
  await sender.close();
  await hub.close();
  await space.cleanup();
});

describe('when listing clusters', () => {
  it.each([
    ['region', 'region=eu', ['c-00', 'c-03', 'c-06', 'c-09']],
    ['label', 'label=tier%3Dprod', ['c-00', 'c-01', 'c-02', 'c-03', 'c-04', 'c-05']],
    ['region and label', 'region=us&label=tier%3Ddev', ['c-07', 'c-10']],
    ['status', 'status=registered', ['c-10', 'c-11']],
    ['sync status', 'sync=failed-transient', ['c-09']],
    ['applied revision', 'revision=2222bbbb', ['c-00', 'c-02', 'c-04', 'c-06', 'c-08']],
  ])('filters by %s', async (_name, query, expected) => {
    const page = await list(query);
    expect(page.items.map((item) => item.name)).toEqual(expected);
    expect(page.total).toBe(expected.length);
  });

  it.each([['no filter', ''], ['a filter', 'label=tier%3Dprod&']])('pages through every cluster once with %s', async (_name, filter) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ClusterList = await list(`${filter}limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(5);
      seen.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(filter ? 6 : 12);
  });

  it('answers a bad filter with the error format naming the field', async () => {
    const response = await api.inject({ method: 'GET', url: '/api/v1/clusters?status=sleepy', headers: auth(READ_TOKEN) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'HUB_INVALID_REQUEST', message: expect.stringContaining('querystring/status') } });
  });
});

describe('when checking tokens', () => {
  it.each([
    ['no token', undefined, 401],
    ['an unknown token', 'nope', 401],
    ['a read-only token', READ_TOKEN, 200],
    ['a cluster token', 'cluster', 403],
  ])('answers the list with %s: %i', async (_name, token, status) => {
    const bearer = token === 'cluster' ? credentials.get('c-00')!.apiToken : token;
    const response = await api.inject({ method: 'GET', url: '/api/v1/clusters', headers: bearer ? auth(bearer) : {} });
    expect(response.statusCode).toBe(status);
    if (status !== 200) expect(response.json().error.code).toMatch(/^HUB_/);
  });

  it('lets a cluster token read its own detail, drift and events and nothing of another cluster', async () => {
    const own = credentials.get('c-01')!.apiToken;
    for (const path of ['', '/drift', '/events']) {
      expect((await api.inject({ url: `/api/v1/clusters/c-01${path}`, headers: auth(own) })).statusCode).toBe(200);
      expect((await api.inject({ url: `/api/v1/clusters/c-02${path}`, headers: auth(own) })).statusCode).toBe(403);
    }
  });

  it('lets only admins create bootstrap tokens and revoke clusters', async () => {
    const create = { method: 'POST' as const, url: '/api/v1/bootstrap-tokens', payload: { ttlSeconds: 60, maxUses: 1 } };
    expect((await api.inject({ ...create, headers: auth(READ_TOKEN) })).statusCode).toBe(403);
    expect((await api.inject({ ...create, headers: auth(ADMIN_TOKEN) })).statusCode).toBe(201);
    expect((await api.inject({ method: 'POST', url: '/api/v1/clusters/c-11/revoke', headers: auth(READ_TOKEN) })).statusCode).toBe(403);
  });
});

describe('when a cluster registers through the API', () => {
  async function bootstrap(maxUses: number, ttlSeconds = 60): Promise<string> {
    const response = await api.inject({ method: 'POST', url: '/api/v1/bootstrap-tokens', headers: auth(ADMIN_TOKEN), payload: { ttlSeconds, maxUses } });
    return response.json<{ token: string }>().token;
  }
  const register = (token: string, cluster: string) =>
    api.inject({ method: 'POST', url: '/api/v1/register', headers: auth(token), payload: { cluster, region: 'eu', labels: { tier: 'dev' } } });

  it('returns credentials once and refuses the token when its uses are gone', async () => {
    const token = await bootstrap(1);
    const first = await register(token, 'new-1');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ cluster: 'new-1', keyGeneration: 1, reportKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const second = await register(token, 'new-2');
    expect(second.statusCode).toBe(401);
    expect(second.json().error.code).toBe('HUB_BOOTSTRAP_TOKEN_USED_UP');
    expect(JSON.stringify(await hub.redis.hgetall(hub.keys.cluster('new-1')))).not.toContain(first.json().apiToken);
  });

  it('refuses an expired token, a name already taken, and a malformed name', async () => {
    const expired = await bootstrap(5, 1);
    expect((await hub.registry.listBootstrapTokens()).length).toBeGreaterThan(0);
    await hub.redis.hset(hub.keys.bootstrap(expired.split('_')[1]!), 'expiresAt', Date.now() - 1);
    expect((await register(expired, 'late-1')).json().error.code).toBe('HUB_BOOTSTRAP_TOKEN_EXPIRED');
    const token = await bootstrap(5);
    expect((await register(token, 'c-00')).json().error.code).toBe('HUB_CLUSTER_EXISTS');
    const bad = await register(token, 'Bad_Name');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('body/cluster');
  });

  it.each([
    ['a region with a newline', { region: 'eu\nus' }, 'body/region'],
    ['a region with an ANSI escape', { region: 'eu\u001b[2J' }, 'body/region'],
    ['a label key over 63 characters', { labels: { ['k'.repeat(64)]: 'v' } }, 'body/labels'],
    ['an empty label key', { labels: { '': 'v' } }, 'body/labels'],
    ['a label key with "="', { labels: { 'tier=prod': 'v' } }, 'body/labels'],
    ['a label value with a space', { labels: { tier: 'p rod' } }, 'body/labels'],
  ])('refuses a registration with %s, naming the field, and registers nothing', async (_name, fields, field) => {
    const token = await bootstrap(1);
    const response = await api.inject({
      method: 'POST', url: '/api/v1/register', headers: auth(token), payload: { cluster: 'hostile-1', region: 'eu', ...fields },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'HUB_INVALID_REQUEST', message: expect.stringContaining(field) });
    expect(await hub.fleet.exists('hostile-1')).toBe(false);
  });

  it('rotates credentials with the cluster\'s own token; the old token stops working', async () => {
    const old = credentials.get('c-03')!;
    const response = await api.inject({ method: 'POST', url: '/api/v1/clusters/c-03/rotate', headers: auth(old.apiToken) });
    expect(response.statusCode).toBe(200);
    const rotated = response.json<Credentials>();
    expect(rotated.keyGeneration).toBe(2);
    expect(rotated.reportKey).not.toBe(old.reportKey);
    expect((await api.inject({ url: '/api/v1/clusters/c-03', headers: auth(old.apiToken) })).statusCode).toBe(401);
    expect((await api.inject({ url: '/api/v1/clusters/c-03', headers: auth(rotated.apiToken) })).statusCode).toBe(200);
  });

  it('revokes a cluster: its token is refused and it lists as revoked', async () => {
    expect((await api.inject({ method: 'POST', url: '/api/v1/clusters/c-11/revoke', headers: auth(ADMIN_TOKEN) })).statusCode).toBe(204);
    expect((await api.inject({ url: '/api/v1/clusters/c-11', headers: auth(credentials.get('c-11')!.apiToken) })).statusCode).toBe(401);
    expect((await list('status=revoked')).items.map((item) => item.name)).toEqual(['c-11']);
  });
});

describe('when reading one cluster', () => {
  it('returns its state and 404 in the error format for an unknown one', async () => {
    await sender.send(credentials.get('c-05')!, report('c-05', 2, ReportKind.Heartbeat, heartbeatBody('1111aaaa')));
    await eventually(async () => expect((await hub.fleet.detail('c-05'))?.agentVersion).toBe('0.1.0'));
    const detail = (await api.inject({ url: '/api/v1/clusters/c-05', headers: auth(READ_TOKEN) })).json();
    expect(detail).toMatchObject({ name: 'c-05', region: 'ap', state: 'online', revision: '1111aaaa', sync: { status: 'succeeded', reason: 'Succeeded' } });
    expect(detail).not.toHaveProperty('tokenHash');
    const missing = await api.inject({ url: '/api/v1/clusters/nope', headers: auth(READ_TOKEN) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'HUB_NOT_FOUND', message: 'cluster nope is not registered', hint: expect.any(String) } });
  });
});

describe('when reading a cluster\'s last syncs', () => {
  const subject = (name: string) => ({ group: '', kind: 'ConfigMap', namespace: 'netfleet', name });

  it('keeps each sync\'s reason, duration and change counts in its event and the last one in the detail', async () => {
    // A cluster of its own, registered after the listing tests counted the fleet.
    const c = await registerCluster(hub, 'c-20', 'eu');
    await sender.send(c, report('c-20', 1, ReportKind.Sync, {
      ...syncBody('1111aaaa'), durationMs: 2345,
      changes: [
        { subject: subject('a'), action: Action.Created }, { subject: subject('b'), action: Action.Created },
        { subject: subject('c'), action: Action.Configured }, { subject: subject('d'), action: Action.Deleted },
        { subject: subject('e'), action: Action.Unchanged },
      ],
    }));
    await eventually(async () => expect((await hub.fleet.detail('c-20'))?.sync?.durationMs).toBe(2345));
    // An agent that predates the duration: its sync is accepted and no earlier duration is shown for it.
    await sender.send(c, report('c-20', 2, ReportKind.Sync, syncBody('2222bbbb', SyncReason.ApplyFailed)));
    await eventually(async () => expect((await hub.fleet.detail('c-20'))?.sync?.reason).toBe(SyncReason.ApplyFailed));

    const detail = (await api.inject({ url: '/api/v1/clusters/c-20', headers: auth(READ_TOKEN) })).json<ClusterDetail>();
    expect(detail.sync).toMatchObject({ status: 'failed-transient', reason: 'ApplyFailed', changes: {} });
    expect(detail.sync).not.toHaveProperty('durationMs');
    const events = (await api.inject({ url: '/api/v1/clusters/c-20/events', headers: auth(READ_TOKEN) })).json<EventList>();
    expect(events.items.filter((event) => event.type === 'sync').map((event) => event.sync)).toEqual([
      { status: 'failed-transient', reason: 'ApplyFailed', changes: {} },
      { status: 'succeeded', reason: 'Succeeded', changes: { created: 2, configured: 1, deleted: 1, unchanged: 1 }, durationMs: 2345 },
    ]);
  });
});

describe('when listing a cluster that synced and counted its links', () => {
  it('gives its last sync\'s reason and how many of its links fail', async () => {
    const c = await registerCluster(hub, 'c-21', 'eu');
    await sender.send(c, report('c-21', 1, ReportKind.Sync, syncBody('1111aaaa', SyncReason.ApplyFailed)));
    const links = { total: 3, byState: { ...emptyLinkSummary().byState, healthy: 1, pending: 1, unreachable: 1 } };
    await sender.send(c, report('c-21', 2, ReportKind.Heartbeat, { ...heartbeatBody('1111aaaa'), links }));
    await eventually(async () => expect((await hub.fleet.detail('c-21'))?.reports).toBe(2));
    const [listed] = (await list('region=eu&status=online')).items.filter((item) => item.name === 'c-21');
    // Pending links are on their way, not failing.
    expect(listed).toMatchObject({ syncStatus: 'failed-transient', syncReason: 'ApplyFailed', linkHealth: { total: 3, failing: 1 } });
    const [quiet] = (await list('region=eu')).items.filter((item) => item.name === 'c-00' || item.name === 'c-03');
    expect(quiet).not.toHaveProperty('linkHealth');
  });
});

describe('when probing the service', () => {
  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await api.inject({ url: '/healthz' })).json().status).toBe('ok');
    expect((await api.inject({ url: '/readyz' })).statusCode).toBe(200);
    const metrics = (await api.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('netfleet_hub_reports_total{kind="sync",result="applied"}');
    expect(metrics).toMatch(/netfleet_hub_clusters\{state="online"\} \d+/);
    expect(metrics).toContain('netfleet_hub_queue_depth{queue="reports"');
    expect(metrics).toContain('netfleet_hub_ingest_duration_seconds_bucket');
    const openapi = (await api.inject({ url: '/openapi.json' })).json();
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining([
      '/api/v1/clusters', '/api/v1/clusters/{name}', '/api/v1/clusters/{name}/drift', '/api/v1/clusters/{name}/events',
      '/api/v1/alerts', '/api/v1/register', '/api/v1/bootstrap-tokens',
    ]));
  });
});

describe('when checking the key layout', () => {
  it('keeps every key it wrote (BullMQ queues included) under the hash-tagged prefix, so all share one Redis Cluster slot', async () => {
    const tag = space.prefix.slice(1, -1);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await hub.redis.scan(cursor, 'MATCH', `*${tag}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((key) => !key.startsWith(`${space.prefix}:`))).toEqual([]);
    expect(keys.some((key) => key.startsWith(`${space.prefix}:reports:`))).toBe(true);
    expect(keys.some((key) => key.startsWith(`${space.prefix}:idx:`))).toBe(true);
  });
});
