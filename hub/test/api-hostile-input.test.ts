import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { ADMIN_TOKEN, registerCluster, testHub, testKeySpace } from './helpers.js';

/**
 * Hostile values in every path parameter and query parameter of every route, read from the
 * API's own OpenAPI document (built from the route schemas): each must be a 4xx in the error
 * format naming the parameter, never a 5xx. Names such as `alpha:seen` reach Redis keys of
 * other types when unchecked.
 */
const HOSTILE_STRINGS = [
  'alpha:seen', 'alpha:events', 'alpha:*', '..', 'Alpha', '-alpha', 'a'.repeat(300), 'a b', 'a\nb', '\u001b[31mred', '\u0000', '%', '',
];
const HOSTILE_INTEGERS = ['99999999999999999999', '1e400', 'Infinity', '-1', '1.5', 'x', ''];

interface Parameter {
  in: 'path' | 'query';
  name: string;
  schema: { type?: string; items?: { type?: string } };
}
interface Operation { parameters?: Parameter[] }
interface Case { method: string; path: string; parameter: string; where: string; value: string }

/** Valid values for the parameters a case leaves alone, so only the one under test is hostile. */
const VALID: Record<string, string> = { name: 'alpha', id: 'abcdef012345', action: 'pause', cluster: 'alpha' };

describe('hostile route parameters and queries', () => {
  const space = testKeySpace('hostile');
  let hub: Hub;
  let api: FastifyInstance;
  let cases: Case[] = [];

  beforeAll(async () => {
    hub = testHub(space, { sweeper: false, rollouts: false });
    await hub.start();
    api = await hub.api();
    await registerCluster(hub, 'alpha', 'eu');
    // The keys a reported cluster has beside its hash: a name reaching them is a WRONGTYPE.
    await hub.redis.setbit(hub.keys.seen('alpha'), 97, 1);
    await hub.redis.lpush(hub.keys.events('alpha'), JSON.stringify({ time: Date.now(), type: 'registered', message: 'x' }));
    const openapi = (await api.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, Operation>> }>();
    cases = Object.entries(openapi.paths).flatMap(([path, operations]) => Object.entries(operations).flatMap(([method, operation]) =>
      (operation.parameters ?? []).filter((parameter) => parameter.in === 'path' || parameter.in === 'query').flatMap((parameter) => {
        const integer = parameter.schema.type === 'integer' || parameter.schema.items?.type === 'integer';
        return (integer ? HOSTILE_INTEGERS : HOSTILE_STRINGS)
          // An empty or `..` path segment is another path (URL normalisation); an empty optional filter is no filter.
          .filter((value) => parameter.in === 'query' ? value !== '' || integer : value !== '' && value !== '..')
          .map((value) => ({ method: method.toUpperCase(), path, parameter: parameter.name, where: parameter.in, value }));
      })));
  });

  afterAll(async () => {
    await hub.close();
    await space.cleanup();
  });

  function urlOf(test: Case): string {
    const path = test.path.replace(/\{(\w+)\}/g, (_match, name: string) =>
      encodeURIComponent(name === test.parameter && test.where === 'path' ? test.value : VALID[name]!));
    return test.where === 'query' ? `${path}?${test.parameter}=${encodeURIComponent(test.value)}` : path;
  }

  it('reads the parameters of every route with parameters from the OpenAPI document', () => {
    const routes = new Set(cases.map((test) => `${test.method} ${test.path} ${test.parameter}`));
    expect([...routes]).toEqual(expect.arrayContaining([
      'GET /api/v1/clusters/{name} name', 'GET /api/v1/clusters/{name}/events limit', 'GET /api/v1/rollouts offset',
      'POST /api/v1/clusters/{name}/rotate name', 'POST /api/v1/clusters/{name}/revoke name', 'GET /api/v1/clusters cursor',
    ]));
  });

  it('answers every hostile value with a 4xx in the error format (400 naming the parameter), never a 5xx', async () => {
    const wrong: string[] = [];
    for (const test of cases) {
      const response = await api.inject({ method: test.method as 'GET', url: urlOf(test), headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const { error } = response.json<{ error?: { code?: unknown; message?: string } }>();
      const clientError = response.statusCode >= 400 && response.statusCode < 500 && typeof error?.code === 'string' && error.code.startsWith('HUB_');
      const named = response.statusCode !== 400 || error?.message?.includes(test.where === 'path' ? `params/${test.parameter}` : `querystring/${test.parameter}`);
      if (!clientError || !named) {
        wrong.push(`${test.method} ${urlOf(test)}: ${response.statusCode} ${response.body.slice(0, 200)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
