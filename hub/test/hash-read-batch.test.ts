/**
 * The token checks' batched HMGETs, on the machine's Redis: reads asked in one turn of the
 * event loop go out as one pipeline, each caller gets its own key's reply or error, and
 * while the connection is not ready each read fails alone, as a command does.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashReadBatch } from '../src/redis/hash-read-batch.js';
import { testKeySpace } from './helpers.js';

/** A client on the test Redis that counts the pipelines it sends. */
function countingClient(url: string, options: RedisOptions = {}) {
  const redis = new Redis(url, options);
  const sent = { pipelines: 0 };
  const pipeline = redis.pipeline.bind(redis);
  redis.pipeline = ((...args: Parameters<typeof pipeline>) => {
    sent.pipelines += 1;
    return pipeline(...args);
  }) as typeof redis.pipeline;
  return { redis, sent };
}

describe('batched hash reads', () => {
  const space = testKeySpace('hash-read-batch');
  const { redis, sent } = countingClient(space.url);
  const key = (name: string) => `${space.prefix}:${name}`;

  beforeAll(async () => {
    await redis.hset(key('alpha'), { tokenHash: 'a1', revoked: '0' });
    await redis.hset(key('beta'), { tokenHash: 'b1' });
    await redis.set(key('plain'), 'not a hash');
  });

  afterAll(async () => {
    redis.disconnect();
    await space.cleanup();
  });

  it('sends the reads of one turn as one pipeline and gives each caller its key\'s fields', async () => {
    const batch = new HashReadBatch(redis, ['tokenHash', 'revoked']);
    const before = sent.pipelines;
    const replies = await Promise.all(['alpha', 'beta', 'gone'].map((name) => batch.read(key(name))));
    expect(replies).toEqual([['a1', '0'], ['b1', null], [null, null]]);
    expect(sent.pipelines - before).toBe(1);
  });

  it('fails only the read whose command failed', async () => {
    const batch = new HashReadBatch(redis, ['tokenHash']);
    const [alpha, plain, beta] = await Promise.allSettled([batch.read(key('alpha')), batch.read(key('plain')), batch.read(key('beta'))]);
    expect(alpha).toEqual({ status: 'fulfilled', value: ['a1'] });
    expect(plain).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('WRONGTYPE') } });
    expect(beta).toEqual({ status: 'fulfilled', value: ['b1'] });
  });

  it('splits a turn of many reads into pipelines of 500 and keeps each reply with its caller', async () => {
    const batch = new HashReadBatch(redis, ['tokenHash']);
    const before = sent.pipelines;
    const names = Array.from({ length: 1_200 }, (_, index) => (index % 2 === 0 ? 'alpha' : 'beta'));
    const replies = await Promise.all(names.map((name) => batch.read(key(name))));
    expect(replies).toEqual(names.map((name) => [name === 'alpha' ? 'a1' : 'b1']));
    expect(sent.pipelines - before).toBe(3);
  });

  it('reads alone, failing as a command does, while the connection is not ready', async () => {
    const { redis: away, sent: awaySent } = countingClient('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    const batch = new HashReadBatch(away, ['tokenHash']);
    const results = await Promise.allSettled([batch.read(key('alpha')), batch.read(key('beta'))]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(awaySent.pipelines).toBe(0);
    away.disconnect();
  });
});
