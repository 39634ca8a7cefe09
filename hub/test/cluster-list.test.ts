import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { ClusterList } from '@netfleet/shared';
import { startRedis, type PrivateRedis } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/index.js';
import { READ_TOKEN, registerCluster, testHub, testKeySpace } from './helpers.js';

/** Where glibc keeps the locale definitions `localedef` compiles (Debian's `locales` package). */
const LOCALE_SOURCES = '/usr/share/i18n/locales/en_US';

/**
 * Redis sets its collation from the environment (`setlocale(LC_COLLATE, "")` in server.c), and
 * Lua's `<` on strings follows it (strcoll). Under en_US.UTF-8 the hyphen is ignored at first:
 * 'abc' sorts before 'ab-d', where Redis orders sorted-set members byte by byte.
 */
const collating = { name: 'en_US.UTF-8 collation', available: existsSync(LOCALE_SOURCES) };

/**
 * The list reads its page, the clusters' fields and their assigned revisions in one Lua call
 * (list-clusters-1.lua), so the paging rules it used to follow in TypeScript are checked here
 * against Redis itself: the machine's Redis, and a private one whose locale orders strings
 * otherwise than by byte (skipped, saying why, without glibc's locale sources).
 */
describe.each([
  { name: 'the shared Redis', available: true },
  collating,
])('the cluster list, read in one Redis call, on $name', ({ name, available }) => {
  if (!available) {
    it.skip(`needs ${LOCALE_SOURCES} (Debian's locales package) to compile en_US.UTF-8`, () => {});
    return;
  }
  let space = testKeySpace('cluster-list');
  let privateRedis: PrivateRedis | undefined;
  let localeDir: string | undefined;
  let hub: Hub;
  let api: FastifyInstance;
  // Names whose byte order differs from a locale's (which skips the hyphen): Redis orders by byte.
  const EU = ['a-bz', 'ab', 'ab-c', 'ab-d', 'abc', 'abc-1', 'b0'];

  async function list(query: string): Promise<ClusterList> {
    const response = await api.inject({ method: 'GET', url: `/api/v1/clusters?${query}`, headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(response.statusCode).toBe(200);
    return response.json<ClusterList>();
  }

  async function pageThrough(filter: string, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    // A cursor that leads back to an earlier page would page forever: stop after more pages than names.
    for (let pages = 0; pages <= EU.length; pages += 1) {
      const page: ClusterList = await list(`${filter}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((item) => item.name));
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error(`still paging after ${EU.length + 1} pages: ${seen.join(' ')}`);
  }

  beforeAll(async () => {
    if (name === collating.name) {
      localeDir = await mkdtemp(join(tmpdir(), 'netfleet-locale-'));
      await promisify(execFile)('localedef', ['-i', 'en_US', '-f', 'UTF-8', join(localeDir, 'en_US.UTF-8')]);
      privateRedis = await startRedis({ env: { ...process.env, LOCPATH: localeDir, LC_ALL: 'en_US.UTF-8' } });
      space = { ...testKeySpace('cluster-list', privateRedis.url), cleanup: async () => {} };
      // The premise: this server's Lua orders these two names unlike its sorted sets.
      const probe = new Redis(privateRedis.url);
      expect(await probe.eval("return tostring('abc' < 'ab-d')", 0)).toBe('true');
      probe.disconnect();
    }
    hub = testHub(space, { sweeper: false, rollouts: false });
    await hub.start();
    api = await hub.api();
    for (const name of EU) await registerCluster(hub, name, 'eu', { tier: 'prod' });
    await registerCluster(hub, 'us-1', 'us', { tier: 'prod' });
  });

  afterAll(async () => {
    await hub?.close();
    await space.cleanup();
    await privateRedis?.dispose();
    if (localeDir) await rm(localeDir, { recursive: true, force: true });
  });

  it.each([1, 2, 3, 100])('pages %i at a time in byte order, with one index or an intersection of two', async (limit) => {
    const byteOrder = [...EU].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(await pageThrough('region=eu', limit)).toEqual(byteOrder);
    expect(await pageThrough('region=eu&label=tier%3Dprod', limit)).toEqual(byteOrder);
    expect((await list('region=eu&label=tier%3Dprod&limit=2')).total).toBe(EU.length);
  });

  it('starts after a cursor that is not in the filter (any more), wherever it would sort', async () => {
    for (const labels of [undefined, ['tier=prod']]) {
      const after = (cursor: string) => hub.fleet.list({ region: 'eu', labels, limit: 100, cursor }).then((page) => page.items.map((item) => item.name));
      expect(await after('ab0')).toEqual(['abc', 'abc-1', 'b0']);
      expect(await after('ab-')).toEqual(['ab-c', 'ab-d', 'abc', 'abc-1', 'b0']);
      expect(await after('zz')).toEqual([]);
      expect(await after('0')).toEqual(['a-bz', 'ab', 'ab-c', 'ab-d', 'abc', 'abc-1', 'b0']);
    }
  });

  it('leaves out a name an index still holds after its cluster\'s hash is gone', async () => {
    await hub.redis.zadd(hub.keys.index('region', 'eu'), 0, 'ab-ghost');
    try {
      const page = await list('region=eu&limit=3');
      expect(page.items.map((item) => item.name)).toEqual(['a-bz', 'ab', 'ab-c']);
      const next = await list(`region=eu&limit=3&cursor=ab-c`);
      expect(next.items.map((item) => item.name)).toEqual(['ab-d', 'abc']);
      expect(next.nextCursor).toBe('abc');
    } finally {
      await hub.redis.zrem(hub.keys.index('region', 'eu'), 'ab-ghost');
    }
  });

  it('gives each cluster its assigned revision: its own assignment, else the last fully rolled-out revision', async () => {
    const assignedOf = async () => Object.fromEntries((await list('region=eu&limit=3')).items.map((item) => [item.name, item.assignedRevision]));
    expect(await assignedOf()).toEqual({ 'a-bz': undefined, ab: undefined, 'ab-c': undefined });
    const own = { cluster: 'ab', revision: 'b'.repeat(40), rolloutId: 'r-1', attempt: 1, reason: 'wave', assignedAt: Date.now() };
    await hub.redis.hset(hub.keys.assignments(), 'ab', JSON.stringify(own));
    expect(await assignedOf()).toEqual({ 'a-bz': undefined, ab: own.revision, 'ab-c': undefined });
    await hub.redis.set(hub.keys.lastGoodRevision(), 'a'.repeat(40));
    expect(await assignedOf()).toEqual({ 'a-bz': 'a'.repeat(40), ab: own.revision, 'ab-c': 'a'.repeat(40) });
    // The detail reads the same assignment.
    const detail = await api.inject({ method: 'GET', url: '/api/v1/clusters/ab', headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(detail.json()).toMatchObject({ assignedRevision: own.revision });
  });
});
