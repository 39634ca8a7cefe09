import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHubConfig } from '../src/config.js';

describe('the Redis URL in the hub config', () => {
  const env = { NETFLEET_HUB_SECRET: 'hub-secret-0123456789abcdef0123456789' };

  it.each([
    'redis://127.0.0.1:6379/2',
    'redis-sentinel://s1:26379,s2:26379/netfleet?db=1',
    'redis-cluster://n1:7000,n2:7001,n3:7002',
  ])('takes %s as it is', async (redisUrl) => {
    expect((await resolveHubConfig({ env, flags: { redisUrl } })).options.redisUrl).toBe(redisUrl);
  });

  it('refuses a URL of no known form at startup, naming the part and hiding the password', async () => {
    const error = await resolveHubConfig({ env: { ...env, NETFLEET_HUB_REDIS_URL: 'redis-cluster://hub:hunter2@n1:7000/3' }, flags: {} })
      .then(() => expect.fail('resolved'), (caught: unknown) => caught as { code: string; message: string; hint: string });
    expect(error).toMatchObject({
      code: 'HUB_CONFIG_INVALID',
      message: 'redisUrl: invalid Redis URL redis-cluster://hub:***@n1:7000/3: path "/3" is not allowed: Redis Cluster has only database 0',
    });
    expect(error.hint).toMatch(/NETFLEET_HUB_REDIS_URL; use one of: redis:\/\//);
    expect(`${error.message}${error.hint}`).not.toContain('hunter2');
  });

  it('reads the Redis password from the file NETFLEET_HUB_REDIS_PASSWORD_FILE names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netfleet-hub-config-'));
    try {
      await writeFile(join(dir, 'password'), 'redis-pass-0123\n');
      const { options } = await resolveHubConfig({ env: { ...env, NETFLEET_HUB_REDIS_PASSWORD_FILE: join(dir, 'password') }, flags: {} });
      expect(options.redisPassword).toBe('redis-pass-0123');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
