import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '@netfleet/shared/redis/connection';

/**
 * Keys read per round trip by {@link hmgetEach}: a large fleet's keys in one pipeline would
 * hold the event loop (and the API requests waiting on it) while 100,000 commands are built
 * and their replies read.
 */
const READ_PAGE = 2000;

/**
 * Runs a pipeline or MULTI and returns its replies, throwing the first command's error.
 * ioredis reports a failed command (Redis away, a command timeout) inside the reply list,
 * not by rejecting, so reading the replies as they are turns an outage into a wrong answer
 * or a TypeError instead of the 503 the API gives when Redis is away.
 */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failed = replies.find(([error]) => error);
  if (failed) throw failed[0]!;
  return replies.map(([, reply]) => reply);
}

/** `HMGET key ...fields` of each key, a page of keys per round trip; the replies in the keys' order. */
export async function hmgetEach(redis: RedisClient, keys: readonly string[], fields: readonly string[]): Promise<(string | null)[][]> {
  const replies: (string | null)[][] = [];
  for (let start = 0; start < keys.length; start += READ_PAGE) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(start, start + READ_PAGE)) pipeline.hmget(key, ...fields);
    for (const reply of await execAll(pipeline)) replies.push(reply as (string | null)[]);
  }
  return replies;
}
