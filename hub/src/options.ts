import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DEFAULT_KEY_PREFIX, MAX_REPORT_BYTES, type Logger } from '@netfleet/shared';
import type { SinkConfig } from './alerts/sinks.js';
import type { FleetRepositoryOptions } from './rollout/fleet-repository.js';
import type { RepoFollowerOptions } from './rollout/repo-follower.js';
import type { FleetLinksOptions } from './links/fleet-links.js';

/** Everything the hub can be told; defaults are applied in `resolveHubOptions` only. */
export interface HubOptions {
  /**
   * Redis URL (`redis://host:port/db`). For zero report loss across a Redis crash run Redis
   * with `appendonly yes` and `appendfsync always`.
   * @defaultValue `redis://127.0.0.1:6379`
   */
  redisUrl?: string;
  /** Redis password (`requirepass`) when `redisUrl` carries none. @defaultValue none */
  redisPassword?: string;
  /**
   * Key prefix of every key and queue; must be a Redis Cluster hash tag.
   * @defaultValue `{netfleet}`
   */
  prefix?: string;
  /**
   * Hub secret (at least 32 characters). Per-cluster report keys are derived from it, so it
   * must be the same on every replica and never change (changing it invalidates every key).
   */
  secret: string;
  /** Bearer tokens with full access. @defaultValue none */
  adminTokens?: string[];
  /** Bearer tokens that may read everything and change nothing. @defaultValue none */
  readTokens?: string[];
  /**
   * Heartbeat interval the agents use; a cluster is offline after two intervals without a report.
   * @defaultValue 30000
   */
  heartbeatIntervalMs?: number;
  /** How often the leader sweeps for offline clusters and repeats firing alerts. @defaultValue 5000 */
  sweepIntervalMs?: number;
  /** Time to live of the sweeper lease; a dead leader is replaced after it. @defaultValue 15000 */
  leaseTtlMs?: number;
  /** Report jobs (each the requests the API gathered in one commit window) processed at once by this replica. @defaultValue 16 */
  ingestConcurrency?: number;
  /** Largest accepted serialized report. @defaultValue 262144 */
  maxReportBytes?: number;
  /**
   * Report jobs waiting in the queue beyond which `POST /api/v1/reports` answers 429 with
   * `Retry-After` (agents keep them spooled). @defaultValue 100000
   */
  maxReportQueueDepth?: number;
  /** `Retry-After` of that 429, in seconds. @defaultValue 5 */
  reportRetryAfterSeconds?: number;
  /**
   * Report requests arriving within this many ms are queued as one job (group commit): each
   * is answered after that one Redis write. @defaultValue 10
   */
  reportCommitWindowMs?: number;
  /** PEM key and certificate chain: the API serves HTTPS. @defaultValue none: plain HTTP (TLS ends in front of the hub) */
  tls?: { key: string; cert: string };
  /** Late reports accepted this many seqs below a cluster's highest (once each). @defaultValue 1024 */
  replayWindow?: number;
  /**
   * A report whose seq is more than this above the cluster's highest is refused (`seq_jump`),
   * so one bogus seq cannot turn every later report into a replay. @defaultValue 1000000
   */
  maxSeqJump?: number;
  /** A report dated further in the future than this is refused (`clock_skew`). @defaultValue 300000 (5 min) */
  maxClockSkewMs?: number;
  /**
   * A report dated further in the past than this is refused (`clock_skew`); reports spooled
   * through an outage are younger. @defaultValue 2592000000 (30 days)
   */
  maxReportAgeMs?: number;
  /**
   * Events kept per cluster (and per rollout): the list is most of a long-running cluster's
   * Redis memory (about 165 B an event), see docs/scale.md. @defaultValue 50
   */
  eventsCap?: number;
  /** Audit entries kept in Redis (every one is also a log line). @defaultValue 1000 */
  auditCap?: number;
  /** A firing alert is sent again after this long. @defaultValue 14400000 (4 h) */
  alertRepeatIntervalMs?: number;
  /** A `report rejected` alert resolves when no rejection repeats it for this long. @defaultValue 3600000 */
  rejectedAlertResolveMs?: number;
  /** Alerts kept (firing ones are never dropped). @defaultValue 1000 */
  alertHistoryCap?: number;
  /** Delivery results kept. @defaultValue 1000 */
  deliveryHistoryCap?: number;
  /** Where alerts go. @defaultValue none */
  sinks?: SinkConfig[];
  /** Attempts per delivery before it is given up. @defaultValue 5 */
  deliveryAttempts?: number;
  /** First retry delay of a failed delivery; doubles each attempt. @defaultValue 1000 */
  deliveryBackoffMs?: number;
  /** Timeout of one delivery request. @defaultValue 10000 */
  deliveryTimeoutMs?: number;
  /** Public base URL of the hub, used for links in alerts. @defaultValue `http://localhost:8080` */
  publicUrl?: string;
  /** Identity of this replica in leases and logs. @defaultValue `<hostname>-<pid>-<random>` */
  replicaId?: string;
  /** Run the report ingest worker. @defaultValue true */
  ingest?: boolean;
  /** Take part in the sweeper lease. @defaultValue true */
  sweeper?: boolean;
  /** Take part in the rollout controller lease. @defaultValue true */
  rollouts?: boolean;
  /** How often the rollout leader feeds the rollout in progress. @defaultValue 1000 */
  rolloutIntervalMs?: number;
  /**
   * Rollouts kept, newest first: when one finishes, older ones are deleted (the last fully
   * rolled-out revision's rollout stays). Each keeps ~300 B per cluster it covered. 0 keeps all.
   * @defaultValue 20
   */
  rolloutsKept?: number;
  /**
   * The fleet repository whose branch rollouts follow (ref polling, plus pushes when
   * `webhookSecret` is set), with a directory for reading rollout policies (one per replica).
   * @defaultValue none: no rollouts are started
   */
  fleetRepo?: FleetRepositoryOptions & Omit<RepoFollowerOptions, 'repository'>;
  /** Shared secret of the push webhook (`POST /api/v1/webhooks/git`). @defaultValue none: webhook off */
  webhookSecret?: string;
  /**
   * Link health: how long a link finding lasts before it fires or is gone before it
   * resolves, and the matrix and partition thresholds. Expected links come from `fleetRepo`.
   * @defaultValue the FleetLinks defaults (fire after 2 min, resolve after 1 min)
   */
  links?: FleetLinksOptions;
  /**
   * Longest a client may take to send a whole request, headers and body; a slower one is
   * answered 408 and cut off. The agents' assignment long-poll waits after its request, so
   * it does not count. @defaultValue 30000
   */
  requestTimeoutMs?: number;
  /** The built dashboard served at /ui/. @defaultValue the one built beside the hub's code (`pnpm build`) */
  uiDir?: string;
  /** Logger; one is created when absent. */
  logger?: Logger;
}

export type ResolvedHubOptions = Required<Omit<HubOptions, 'logger' | 'fleetRepo' | 'webhookSecret' | 'tls' | 'redisPassword' | 'uiDir'>>
  & Pick<HubOptions, 'fleetRepo' | 'webhookSecret' | 'tls' | 'redisPassword' | 'uiDir'> & { logger: Logger | undefined };

export function resolveHubOptions(options: HubOptions): ResolvedHubOptions {
  return {
    redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
    redisPassword: options.redisPassword,
    prefix: options.prefix ?? DEFAULT_KEY_PREFIX,
    secret: options.secret,
    adminTokens: options.adminTokens ?? [],
    readTokens: options.readTokens ?? [],
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
    sweepIntervalMs: options.sweepIntervalMs ?? 5_000,
    leaseTtlMs: options.leaseTtlMs ?? 15_000,
    ingestConcurrency: options.ingestConcurrency ?? 16,
    maxReportBytes: options.maxReportBytes ?? MAX_REPORT_BYTES,
    maxReportQueueDepth: options.maxReportQueueDepth ?? 100_000,
    reportRetryAfterSeconds: options.reportRetryAfterSeconds ?? 5,
    reportCommitWindowMs: options.reportCommitWindowMs ?? 10,
    tls: options.tls,
    replayWindow: options.replayWindow ?? 1024,
    maxSeqJump: options.maxSeqJump ?? 1_000_000,
    maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000,
    maxReportAgeMs: options.maxReportAgeMs ?? 30 * 86_400_000,
    eventsCap: options.eventsCap ?? 50,
    auditCap: options.auditCap ?? 1000,
    alertRepeatIntervalMs: options.alertRepeatIntervalMs ?? 4 * 3600_000,
    rejectedAlertResolveMs: options.rejectedAlertResolveMs ?? 3600_000,
    alertHistoryCap: options.alertHistoryCap ?? 1000,
    deliveryHistoryCap: options.deliveryHistoryCap ?? 1000,
    sinks: options.sinks ?? [],
    deliveryAttempts: options.deliveryAttempts ?? 5,
    deliveryBackoffMs: options.deliveryBackoffMs ?? 1000,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 10_000,
    publicUrl: options.publicUrl ?? 'http://localhost:8080',
    replicaId: options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    ingest: options.ingest ?? true,
    sweeper: options.sweeper ?? true,
    rollouts: options.rollouts ?? true,
    rolloutIntervalMs: options.rolloutIntervalMs ?? 1_000,
    rolloutsKept: options.rolloutsKept ?? 20,
    fleetRepo: options.fleetRepo,
    webhookSecret: options.webhookSecret,
    links: options.links ?? {},
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    uiDir: options.uiDir,
    logger: options.logger,
  };
}
