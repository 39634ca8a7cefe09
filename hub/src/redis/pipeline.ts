import type { ChainableCommander } from 'ioredis';

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
