import type { FastifyInstance } from 'fastify';
import type { Credentials } from '@netfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { rolloutIdOf } from '../src/rollout/ids.js';
import { ALL_AT_ONCE_POLICY, registerCluster, testHub, testKeySpace } from './helpers.js';

const REVISION = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
const ROLLOUT = rolloutIdOf(REVISION);

/** Values each route parameter is tried with: the other cluster, the caller itself, every control. */
const PARAMETER_VALUES: Record<string, string[]> = {
  name: ['beta', 'alpha'], cluster: ['beta', 'alpha'], id: [ROLLOUT, 'ffffffffffff'], action: ['pause', 'resume', 'abort', 'rollback', 'promote'],
};

/** Bodies each write is tried with: none, empty, and ones a route would take. */
const BODIES = [
  undefined, {}, { cluster: 'beta', region: 'eu' }, { ttlSeconds: 60, maxUses: 5 }, { reason: 'taken over' },
  { reports: [{ protocolVersion: 1, cluster: 'beta', seq: 99, time: new Date().toISOString(), kind: 'heartbeat', body: {}, signature: '0'.repeat(64) }] },
];

function urlsOf(pattern: string): string[] {
  const names = [...pattern.matchAll(/:(\w+)/g)].map((match) => match[1]!);
  return names.reduce<string[]>((urls, name) => urls.flatMap((url) => (PARAMETER_VALUES[name] ?? ['x']).map((value) => url.replace(`:${name}`, value))), [pattern]);
}

/**
 * Everything a cluster's credentials can reach through the API, tried with alpha's token:
 * nothing of beta, of the rollouts, of the registrations or of the bootstrap tokens changes.
 */
describe('what a cluster\'s credentials can change through the API', () => {
  const space = testKeySpace('isolation');
  let hub: Hub;
  let api: FastifyInstance;
  let alpha: Credentials;
  let beta: Credentials;

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false, webhookSecret: 'webhook-secret-for-tests-0123456789' });
    await hub.start();
    api = await hub.api();
    alpha = await registerCluster(hub, 'alpha', 'eu');
    beta = await registerCluster(hub, 'beta', 'eu');
    await hub.registry.createBootstrapToken({ ttlSeconds: 600, maxUses: 3 });
    await hub.rollouts.heads.publish({ revision: REVISION, policy: ALL_AT_ONCE_POLICY, seenAt: Date.now() });
    await hub.rollouts.controller.tick();
  });

  afterAll(async () => {
    await hub.close();
    await space.cleanup();
  });

  /** Every key of the fleet but alpha's own (and the audit trail, where alpha's own rotations are told), by value. */
  async function fleetState(): Promise<Record<string, unknown>> {
    const state: Record<string, unknown> = {};
    let cursor = '0';
    do {
      const [next, keys] = await hub.redis.scan(cursor, 'MATCH', `${space.prefix.replace(/[{}]/g, '\\$&')}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const name = key.slice(space.prefix.length + 1);
        if (/^(cluster:alpha(:|$)|audit$|lease:|reports:|alerts-delivery:|alert-delivery:)/.test(name)) continue;
        const type = await hub.redis.type(key);
        state[name] = type === 'hash' ? await hub.redis.hgetall(key)
          : type === 'zset' ? await hub.redis.zrange(key, 0, -1, 'WITHSCORES')
          : type === 'set' ? (await hub.redis.smembers(key)).sort()
          : type === 'list' ? await hub.redis.lrange(key, 0, -1)
          : type === 'string' ? await hub.redis.get(key) : type;
      }
    } while (cursor !== '0');
    return state;
  }

  it('changes nothing of another cluster, of the rollouts or of the registrations', async () => {
    const before = await fleetState();
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['cluster:beta', 'clusters', `rollout:${ROLLOUT}`, 'assignments', 'bootstrap-ids']));
    const statuses = new Map<string, number>();
    for (const route of api.routeAccess.filter((entry) => entry.method !== 'HEAD')) {
      for (const url of urlsOf(route.url)) {
        for (const body of route.method === 'GET' ? [undefined] : BODIES) {
          const response = await api.inject({
            method: route.method as 'POST', url, headers: { authorization: `Bearer ${alpha.apiToken}` }, ...(body ? { payload: body } : {}),
          });
          statuses.set(`${route.method} ${url}`, Math.max(statuses.get(`${route.method} ${url}`) ?? 0, response.statusCode));
          // Alpha may rotate only itself; its old token is then gone, so carry on with the new one.
          if (response.statusCode === 200 && url === '/api/v1/clusters/alpha/rotate') alpha = response.json<Credentials>();
        }
      }
    }
    expect(await fleetState()).toEqual(before);
    expect(statuses.get('POST /api/v1/clusters/beta/rotate')).toBe(403);
    expect(statuses.get('POST /api/v1/clusters/beta/revoke')).toBe(403);
    expect(statuses.get(`POST /api/v1/rollouts/${ROLLOUT}/rollback`)).toBe(403);
    expect(statuses.get('POST /api/v1/reports')).toBe(403);
    expect(await hub.registry.authenticate(beta.apiToken)).toEqual({ role: 'cluster', cluster: 'beta' });
  });
});
