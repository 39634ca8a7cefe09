import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './url.js';

/** A connection to one server, a Sentinel-managed master or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Opens a connection for a Redis URL in one of the forms of `REDIS_URL_FORMS` (it throws
 * `RedisUrlError` for anything else). `options` are the per-connection options (retries,
 * offline queue, ...); on a Cluster they apply to every node, and `retryStrategy`,
 * `enableOfflineQueue` and `lazyConnect` to the cluster as a whole.
 */
export function connectRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  const auth = {
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
    ...(target.tls ? { tls: {} } : {}),
  };
  switch (target.mode) {
    case 'single':
      return new Redis({ ...options, ...auth, host: target.node.host, port: target.node.port, db: target.db });
    case 'sentinel':
      return new Redis({
        ...options, ...auth, sentinels: target.sentinels, name: target.masterName, db: target.db,
        // Reconnect to the new master as soon as a Sentinel announces a failover.
        failoverDetector: true,
        ...(target.tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      });
    case 'cluster': {
      const { retryStrategy, enableOfflineQueue, lazyConnect, enableAutoPipelining, ...nodeOptions } = options;
      return new Cluster(target.nodes, {
        redisOptions: { ...nodeOptions, ...auth },
        ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
        ...(lazyConnect === undefined ? {} : { lazyConnect }),
        ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      });
    }
  }
}

/**
 * A connection of its own for SUBSCRIBE, to the same Redis as `client`, that queues its
 * commands while it connects or reconnects: a subscription waits for the server rather than
 * failing, whatever `client` was opened with (the hub's API connection fails fast instead).
 */
export function subscriberConnection(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate([], { enableOfflineQueue: true }) : client.duplicate({ enableOfflineQueue: true });
}
