/**
 * Values both ends of the report channel must agree on. Changing one is a protocol change.
 */

/** Version of the report envelope; the hub rejects envelopes of another version. */
export const PROTOCOL_VERSION = 1;

/**
 * Prefix of every Redis key netfleet writes, BullMQ queues included. The braces make it a
 * Redis Cluster hash tag: every key lands in one slot, so Lua scripts may touch several.
 */
export const DEFAULT_KEY_PREFIX = '{netfleet}';

/** The BullMQ queue agents put their reports on. */
export const REPORT_QUEUE = 'reports';

/** Largest serialized report the hub accepts; the agent trims drift items to fit. */
export const MAX_REPORT_BYTES = 256 * 1024;

/** Cluster names are DNS labels: they appear in job ids, Redis keys and alert labels. */
export const CLUSTER_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';

/**
 * BullMQ job id of a report: one id per cluster and sequence number, so re-sending the
 * same report is idempotent. BullMQ does not allow `:` in custom ids, hence the dot.
 */
export function reportJobId(cluster: string, seq: number): string {
  return `${cluster}.${seq}`;
}

/** The cluster part of a report job id (`''` when the id has no dot). */
export function clusterOfJobId(jobId: string): string {
  const dot = jobId.lastIndexOf('.');
  return dot === -1 ? '' : jobId.slice(0, dot);
}
