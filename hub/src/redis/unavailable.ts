/**
 * Errors ioredis raises when the store cannot be reached (as opposed to a command the server
 * refused, a `ReplyError`): the API answers them with 503 HUB_REDIS_UNAVAILABLE, retry later,
 * rather than as an internal error.
 */
const UNAVAILABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  // The per-request retries ran out while disconnected (one server, Sentinel).
  'MaxRetriesPerRequestError',
  // No node of a Cluster answers.
  'ClusterAllFailedError',
]);

const UNAVAILABLE_MESSAGES: ReadonlySet<string> = new Set([
  // `commandTimeout` expired: the bound on a Cluster, whose offline queue waits for a node.
  'Command timed out',
  'Connection is closed.',
  'None of startup nodes is available',
  // A Cluster reconnecting, on a connection without an offline queue (the API's).
  "Cluster isn't ready and enableOfflineQueue options is false",
]);

export function isRedisUnavailable(error: unknown): boolean {
  return error instanceof Error && (UNAVAILABLE_ERROR_NAMES.has(error.name) || UNAVAILABLE_MESSAGES.has(error.message));
}
