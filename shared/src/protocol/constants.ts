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

/**
 * The BullMQ queue the hub's API puts report jobs on, in the job format of this version
 * (groups of requests). A job format earlier hub versions cannot read goes on a queue of a
 * new name, so their workers never take it; the number is the job format's.
 */
export const REPORT_QUEUE = 'reports-2';

/**
 * The report queue of earlier hub versions (one request's texts or one report's text per
 * job); agents that wrote to Redis themselves were given it at registration. Hubs keep a
 * worker on it, so what an earlier replica or agent queues there during an upgrade is applied.
 */
export const EARLIER_REPORT_QUEUE = 'reports';

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
