import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedRedis, startRedis, type PrivateRedis } from './redis.js';

const started: PrivateRedis[] = [];
const clients: Redis[] = [];

async function start(aof: boolean): Promise<PrivateRedis> {
  const redis = await startRedis({ aof });
  started.push(redis);
  return redis;
}

function connect(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  // Connection errors surface through the rejected command; keep them off stderr.
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(started.splice(0).map((redis) => redis.dispose()));
});

describe('when a private Redis is started', () => {
  it('serves commands on its own loopback port within 1 s', async () => {
    const begin = performance.now();
    const redis = await start(false);
    const client = connect(redis.url);
    expect(await client.ping()).toBe('PONG');
    expect(performance.now() - begin).toBeLessThan(1_000);
    expect(redis.port).not.toBe(6379);
  });

  it('refuses connections after kill()', async () => {
    const redis = await start(false);
    await redis.kill();
    const client = connect(redis.url);
    await expect(client.ping()).rejects.toThrow();
  });
});

describe('when AOF is on', () => {
  it('keeps data written before kill() after restart() on the same port', async () => {
    const redis = await start(true);
    const writer = connect(redis.url);
    await writer.set('survivor', 'still here');
    await writer.rpush('list', 'a', 'b');
    writer.disconnect();

    await redis.kill();
    await redis.restart();

    const reader = connect(redis.url);
    expect(await reader.get('survivor')).toBe('still here');
    expect(await reader.lrange('list', 0, -1)).toEqual(['a', 'b']);
  });
});

describe('when AOF is off', () => {
  it('loses data on kill() + restart(), so the AOF test above can fail', async () => {
    const redis = await start(false);
    const writer = connect(redis.url);
    await writer.set('survivor', 'gone');
    writer.disconnect();

    await redis.kill();
    await redis.restart();

    expect(await connect(redis.url).get('survivor')).toBeNull();
  });
});

describe('when tests share the machine Redis', () => {
  it('gives each caller a unique prefix and cleans up only its own keys', async () => {
    const mine = sharedRedis('redis-harness');
    const theirs = sharedRedis('redis-harness');
    expect(mine.prefix).not.toBe(theirs.prefix);

    const client = connect(mine.url);
    await client.set(`${mine.prefix}:a`, '1');
    await client.set(`${mine.prefix}:b`, '2');
    await client.set(`${theirs.prefix}:a`, '3');

    await mine.cleanup();

    expect(await client.exists(`${mine.prefix}:a`, `${mine.prefix}:b`)).toBe(0);
    expect(await client.get(`${theirs.prefix}:a`)).toBe('3');
    await theirs.cleanup();
  });
});
