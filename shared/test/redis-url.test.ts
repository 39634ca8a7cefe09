import { describe, expect, it } from 'vitest';
import { RedisUrlError, parseRedisUrl, redactRedisUrl } from '../src/redis/url.js';

const SECRET = 's3cr%2Ft-pa55';

describe('Redis URLs', () => {
  it.each([
    ['redis://127.0.0.1:6379', { mode: 'single', tls: false, node: { host: '127.0.0.1', port: 6379 }, db: 0 }],
    ['redis://redis.internal', { mode: 'single', tls: false, node: { host: 'redis.internal', port: 6379 }, db: 0 }],
    ['redis://redis:6380/3', { mode: 'single', tls: false, node: { host: 'redis', port: 6380 }, db: 3 }],
    ['rediss://hub:pw@[::1]:6390/', { mode: 'single', tls: true, username: 'hub', password: 'pw', node: { host: '::1', port: 6390 }, db: 0 }],
    ['redis://:only-password@h:1', { mode: 'single', tls: false, password: 'only-password', node: { host: 'h', port: 1 }, db: 0 }],
    ['redis-sentinel://s1:26379,s2,s3:26380/mymaster', {
      mode: 'sentinel', tls: false, masterName: 'mymaster', db: 0,
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }, { host: 's3', port: 26380 }],
    }],
    ['rediss-sentinel://u:p%40ss@s1/main?db=2', {
      mode: 'sentinel', tls: true, username: 'u', password: 'p@ss', masterName: 'main', db: 2, sentinels: [{ host: 's1', port: 26379 }],
    }],
    ['redis-cluster://n1:7000,n2:7001', { mode: 'cluster', tls: false, nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }] }],
    ['rediss-cluster://default:pw@n1', { mode: 'cluster', tls: true, username: 'default', password: 'pw', nodes: [{ host: 'n1', port: 6379 }] }],
  ])('reads %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it('keeps an unencoded @ or / in the password', () => {
    expect(parseRedisUrl('redis-cluster://u:a@b/c@n1:7000')).toMatchObject({ password: 'a@b/c', nodes: [{ host: 'n1', port: 7000 }] });
  });

  it.each([
    ['127.0.0.1:6379', /expected <scheme>:\/\//],
    ['http://h:6379', /unknown scheme "http"/],
    ['redis://', /host is missing/],
    ['redis://h1:6379,h2:6379', /names 2 servers; redis:\/\/ takes one/],
    ['redis://h:port', /host "h:port" is not host\[:port\]/],
    ['redis://h:70000', /port of "h:70000" must be 1-65535/],
    ['redis://h:6379/zero', /database \(path\) "zero" must be a database number/],
    ['redis://h:6379?family=6', /query parameter "family" is not supported/],
    ['redis-sentinel://s1:26379', /master name \(path\) is missing/],
    ['redis-sentinel://s1:26379/m/2', /holds a "\/"; put the database in \?db=N/],
    ['redis-sentinel://s1:26379/m?db=x', /database \(\?db=\) "x" must be a database number/],
    ['redis-sentinel://s1:26379/m?timeout=1', /query parameter "timeout" is not supported \(only db\)/],
    ['redis-cluster://n1:7000,,n2:7001', /host "" is not host\[:port\]/],
    ['redis-cluster://n1:7000/1', /path "\/1" is not allowed: Redis Cluster has only database 0/],
  ])('rejects %s, naming the wrong part', (url, problem) => {
    const error = catchError(() => parseRedisUrl(url));
    expect(error).toBeInstanceOf(RedisUrlError);
    expect(error.message).toMatch(problem);
    expect(error.code).toBe('CONFIG_REDIS_URL');
    expect(error.hint).toMatch(/redis-sentinel:\/\/.*redis-cluster:\/\//);
  });

  it.each([
    `redis://user:${SECRET}@h:port`,
    `redis-sentinel://user:${SECRET}@s1:26379`,
    `redis-cluster://user:${SECRET}@n1:7000/1`,
    `redis-cluster://:${SECRET}@n1:x`,
    `ftp://user:${SECRET}@h`,
    `redis://user:${SECRET}%zz@h:1`,
  ])('never puts the password of %s in the error', (url) => {
    const error = catchError(() => parseRedisUrl(url));
    expect(error).toBeInstanceOf(RedisUrlError);
    expect(`${error.message} ${error.hint}`).not.toMatch(/s3cr|pa55/);
    expect(error.message).toContain('***@');
  });

  it('redacts the password for logs', () => {
    expect(redactRedisUrl('redis-sentinel://hub:pw@s1,s2/m')).toBe('redis-sentinel://hub:***@s1,s2/m');
    expect(redactRedisUrl('redis://secret@h')).toBe('redis://***@h');
    expect(redactRedisUrl('redis://h:6379/1')).toBe('redis://h:6379/1');
  });
});

function catchError(run: () => unknown): RedisUrlError {
  try {
    run();
  } catch (error) {
    return error as RedisUrlError;
  }
  throw new Error('expected an error');
}
