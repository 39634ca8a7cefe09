import { Queue, type ConnectionOptions } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { EARLIER_REPORT_QUEUE, REPORT_QUEUE, createLogger, parseRedisUrl, type Logger } from '@netfleet/shared';
import { connectRedis, type RedisClient } from '@netfleet/shared/redis/connection';
import { resolveHubOptions, type HubOptions, type ResolvedHubOptions } from './options.js';
import { HubKeys } from './redis/keys.js';
import { HubScripts } from './redis/scripts.js';
import { Registry, assertSecret } from './registry/registry.js';
import { HubMetrics } from './metrics.js';
import { AlertEngine, type DeliveryJob } from './alerts/alert-engine.js';
import { ALERT_QUEUE, DeliveryWorker } from './alerts/delivery-worker.js';
import { ReportIngest } from './ingest/ingest.js';
import { IngestWorker } from './ingest/ingest-worker.js';
import { ReportIntake, type IntakeQueues } from './ingest/report-intake.js';
import { Sweeper } from './sweeper/sweeper.js';
import { FleetState } from './state/fleet-state.js';
import { AuditLog } from './audit/audit-log.js';
import { buildApi } from './api/app.js';
import { RolloutStore } from './rollout/store.js';
import { AssignmentWatch } from './rollout/assignment-watch.js';
import { FleetHeads } from './rollout/heads.js';
import { RolloutController } from './rollout/controller.js';
import { RedisFleetView } from './rollout/fleet-view.js';
import { FleetRepository } from './rollout/fleet-repository.js';
import { RepoFollower, rolloutPolicyOf } from './rollout/repo-follower.js';
import { RolloutMetrics } from './rollout/metrics.js';
import { RolloutAlerts } from './rollout/alerts.js';
import { LinkService } from './links/link-service.js';
import { registerLinkMetrics } from './links/metrics.js';

/**
 * One hub replica: the ingest worker, the alert delivery worker, the sweeper (under a
 * lease) and the HTTP API, over one Redis. Several replicas may share a Redis.
 */
/** How long an API request waits for one Redis command. */
const API_COMMAND_TIMEOUT_MS = 5_000;

export class Hub {
  readonly options: ResolvedHubOptions;
  readonly logger: Logger;
  /** Connection of the API: fails requests quickly while Redis is away. */
  readonly redis: RedisClient;
  /** Connection of ingest, sweeper and alerts: waits for Redis to come back and carries on. */
  private readonly workRedis: RedisClient;
  /** Connection BullMQ queues share and workers duplicate. */
  private readonly bullRedis: RedisClient;
  readonly keys: HubKeys;
  readonly scripts: HubScripts;
  readonly registry: Registry;
  /** Credential and rollout actions with who did them (API connection). */
  readonly audit: AuditLog;
  readonly metrics: HubMetrics;
  readonly fleet: FleetState;
  readonly alerts: AlertEngine;
  /** The same alerts read over the API connection. */
  private readonly alertsView: AlertEngine;
  readonly ingest: ReportIngest;
  /** The API's side of the report queue. */
  readonly intake: ReportIntake;
  readonly sweeper: Sweeper;
  /** Federation and multicluster link health, rebuilt by every replica from the stored link reports. */
  readonly linkHealth: LinkService;
  /** Rollout state and the agents' assignment long-poll (API connection), and the controller (work connection). */
  readonly rollouts: {
    store: RolloutStore; watch: AssignmentWatch; heads: FleetHeads; controller: RolloutController;
    follower?: RepoFollower; webhookSecret?: string;
  };
  /**
   * The report queues on the API connection (the one it writes, and the earlier version's it
   * counts): a report request fails (503) soon when Redis is away.
   */
  private readonly intakeQueues: IntakeQueues;
  private readonly alertQueue: Queue<DeliveryJob>;
  /** The alert queue on the API connection, for counting its jobs. */
  private readonly alertCountQueue: Queue;
  private readonly ingestWorker: IngestWorker | undefined;
  private readonly deliveryWorker: DeliveryWorker;
  private apiInstance: FastifyInstance | undefined;
  private started = false;
  /** Wakes the rollout controller when any replica sees a new head (webhook or poll). */
  private headWatch: { close(): void } | undefined;
  private stopping = false;
  /**
   * ioredis' reconnect delay (its default), until the hub stops: then none, so no connection,
   * nor any copy of one (BullMQ's blocking connections, subscribers), keeps reconnecting to
   * a Redis that is away and keeps the process alive.
   */
  private readonly reconnectDelay = (attempt: number): number | null => (this.stopping ? null : Math.min(attempt * 50, 2000));
  private fleetRepository: FleetRepository | undefined;
  /** The API's connection is to a Cluster, and so has no offline queue (see the constructor). */
  private readonly apiOnCluster: boolean;

  constructor(options: HubOptions) {
    this.options = resolveHubOptions({ ...options, secret: assertSecret(options.secret) });
    const o = this.options;
    this.logger = (o.logger ?? createLogger({ name: 'netfleet-hub' })).child({ replica: o.replicaId });
    // The API's connection: a request fails (503) within a bound when Redis is away. A node's
    // commands are bounded by the timeout and the retries; a Cluster's own offline queue has no
    // bound at all (a command queued while the Cluster reconnects may wait forever), so the
    // API's Cluster connection has none: until the Cluster is ready again, requests get 503.
    const auth = o.redisPassword ? { password: o.redisPassword } : {};
    this.apiOnCluster = parseRedisUrl(o.redisUrl).mode === 'cluster';
    this.redis = connectRedis(o.redisUrl, {
      ...auth, ...(this.apiOnCluster ? { enableOfflineQueue: false } : {}), maxRetriesPerRequest: 2, commandTimeout: API_COMMAND_TIMEOUT_MS, retryStrategy: this.reconnectDelay,
    });
    // Commands issued together (an ingest job's script calls, one per request) go out in one write.
    this.workRedis = connectRedis(o.redisUrl, { ...auth, maxRetriesPerRequest: null, retryStrategy: this.reconnectDelay, enableAutoPipelining: true });
    for (const client of [this.redis, this.workRedis]) {
      client.on('error', (error) => this.logger.warn({ err: error.message }, 'redis connection error'));
    }
    this.keys = new HubKeys(o.prefix);
    const scriptOptions = { eventsCap: o.eventsCap, replayWindow: o.replayWindow, maxSeqJump: o.maxSeqJump, alertHistoryCap: o.alertHistoryCap };
    this.scripts = new HubScripts(this.redis, this.keys, scriptOptions);
    const workScripts = new HubScripts(this.workRedis, this.keys, scriptOptions);
    this.registry = new Registry(this.redis, this.scripts, { secret: o.secret, adminTokens: o.adminTokens, readTokens: o.readTokens });
    this.fleet = new FleetState(this.redis, this.keys);
    this.audit = new AuditLog(this.redis, this.keys, o.auditCap, this.logger.child({ component: 'audit' }));
    // BullMQ gets a client instance: under native ESM it cannot load ioredis from options.
    // Workers duplicate it for their blocking connections, hence no per-request retry limit.
    this.bullRedis = connectRedis(o.redisUrl, { ...auth, maxRetriesPerRequest: null, retryStrategy: this.reconnectDelay });
    this.bullRedis.on('error', (error) => this.logger.warn({ err: error.message }, 'redis connection error'));
    const connection: ConnectionOptions = this.bullRedis;
    this.alertQueue = new Queue<DeliveryJob>(ALERT_QUEUE, { connection, prefix: o.prefix });
    this.alertQueue.on('error', (error) => this.logger.warn({ err: error.message, queue: ALERT_QUEUE }, 'queue connection error'));
    this.metrics = new HubMetrics({
      redisUp: () => this.redis.ping().then(() => true, () => false),
      queueDepth: () => this.queueDepth(),
      clustersByState: () => this.fleet.clustersByState(),
    });
    const alertOptions = {
      repeatIntervalMs: o.alertRepeatIntervalMs, rejectedResolveMs: o.rejectedAlertResolveMs,
      sinkNames: o.sinks.map((sink) => sink.name), deliveryAttempts: o.deliveryAttempts, deliveryBackoffMs: o.deliveryBackoffMs,
    };
    this.alerts = new AlertEngine(this.workRedis, workScripts, this.alertQueue, alertOptions, this.logger);
    this.alertsView = new AlertEngine(this.redis, this.scripts, this.alertQueue, alertOptions, this.logger);
    this.ingest = new ReportIngest(this.workRedis, workScripts, this.registry, this.alerts, this.metrics,
      { maxReportBytes: o.maxReportBytes, maxClockSkewMs: o.maxClockSkewMs, maxReportAgeMs: o.maxReportAgeMs }, this.logger);
    this.intakeQueues = {
      current: new Queue(REPORT_QUEUE, { connection: this.redis, prefix: o.prefix }),
      earlier: new Queue(EARLIER_REPORT_QUEUE, { connection: this.redis, prefix: o.prefix }),
    };
    this.alertCountQueue = new Queue(ALERT_QUEUE, { connection: this.redis, prefix: o.prefix });
    for (const queue of [this.intakeQueues.current, this.intakeQueues.earlier, this.alertCountQueue]) {
      queue.on('error', (error) => this.logger.warn({ err: error.message, queue: queue.name }, 'queue connection error'));
    }
    this.intake = new ReportIntake(this.intakeQueues, this.metrics, {
      maxReportBytes: o.maxReportBytes, maxQueueDepth: o.maxReportQueueDepth, retryAfterSeconds: o.reportRetryAfterSeconds,
      commitWindowMs: o.reportCommitWindowMs,
    });
    this.ingestWorker = o.ingest
      ? new IngestWorker(this.ingest, { connection, prefix: o.prefix, concurrency: o.ingestConcurrency, maxReportBytes: o.maxReportBytes }, this.logger)
      : undefined;
    this.deliveryWorker = new DeliveryWorker(this.workRedis, this.keys, this.metrics, {
      connection, prefix: o.prefix, sinks: o.sinks, publicUrl: o.publicUrl, timeoutMs: o.deliveryTimeoutMs,
      firingValidityMs: 2 * o.alertRepeatIntervalMs, historyCap: o.deliveryHistoryCap,
    }, this.logger);
    this.sweeper = new Sweeper(this.workRedis, workScripts, this.alerts, {
      offlineAfterMs: 2 * o.heartbeatIntervalMs, intervalMs: o.sweepIntervalMs, leaseTtlMs: o.leaseTtlMs, replicaId: o.replicaId,
      repeatPassIntervalMs: Math.min(30_000, o.alertRepeatIntervalMs / 4), graceAfterRedisMs: o.heartbeatIntervalMs,
    }, this.logger);
    this.linkHealth = new LinkService(this.workRedis, this.keys, this.alerts, {
      intervalMs: o.sweepIntervalMs, isLeader: () => this.sweeper.isLeader, fleetLinks: o.links,
    }, this.logger.child({ component: 'links' }));
    registerLinkMetrics(this.metrics.registry, this.linkHealth.links);
    const storeOptions = { eventsCap: o.eventsCap, rolloutsKept: o.rolloutsKept };
    const rolloutStore = new RolloutStore(this.redis, this.keys, storeOptions);
    const controllerStore = new RolloutStore(this.workRedis, this.keys, storeOptions);
    this.rollouts = {
      store: rolloutStore,
      heads: new FleetHeads(this.redis, this.keys),
      watch: new AssignmentWatch(this.redis, rolloutStore, this.logger),
      controller: new RolloutController(
        workScripts, controllerStore,
        new RedisFleetView(new FleetState(this.workRedis, this.keys), this.alerts, this.linkHealth.links), new FleetHeads(this.workRedis, this.keys),
        { replicaId: o.replicaId, leaseTtlMs: o.leaseTtlMs, intervalMs: o.rolloutIntervalMs }, this.logger.child({ component: 'rollout' }),
        new RolloutMetrics(this.metrics.registry, rolloutStore), new RolloutAlerts(this.alerts, controllerStore),
      ),
      ...(o.fleetRepo ? { follower: this.repoFollower(o.fleetRepo) } : {}),
      ...(o.webhookSecret ? { webhookSecret: o.webhookSecret } : {}),
    };
  }

  /** The HTTP API (built on first use). */
  async api(): Promise<FastifyInstance> {
    this.apiInstance ??= await buildApi({
      redis: this.redis, keys: this.keys, registry: this.registry, fleet: this.fleet, alerts: this.alertsView,
      metrics: this.metrics, rollouts: this.rollouts, links: this.linkHealth.links, reports: this.intake, audit: this.audit,
      workersRunning: () => this.started && (this.ingestWorker?.running ?? true),
    }, this.logger, {
      requestTimeoutMs: this.options.requestTimeoutMs, ...(this.options.tls ? { tls: this.options.tls } : {}), ...(this.options.uiDir ? { uiDir: this.options.uiDir } : {}),
    });
    return this.apiInstance;
  }

  /** Starts the workers and the sweeper. */
  async start(): Promise<void> {
    // Not a condition to start (a hub starts with Redis away and serves 503 until it is back),
    // but a hub whose Cluster is reachable answers its first requests rather than 503.
    if (this.apiOnCluster) await untilReady(this.redis, API_COMMAND_TIMEOUT_MS);
    this.ingestWorker?.start();
    this.deliveryWorker.start();
    if (this.options.sweeper) this.sweeper.start();
    this.linkHealth.start();
    if (this.options.rollouts) {
      this.rollouts.controller.start();
      this.headWatch = this.rollouts.heads.watch(() => this.rollouts.controller.nudge(), this.logger.child({ component: 'rollout' }));
    }
    this.rollouts.follower?.start();
    this.started = true;
    this.logger.info({ prefix: this.options.prefix }, 'hub started');
  }

  /**
   * Graceful stop, bounded by `timeoutMs`: every loop stops scheduling at once, the API
   * answers the long-polls and closes, in-flight reports and deliveries finish and the lease
   * is released. When Redis is away (or refuses the hub) that cannot finish, so after
   * `timeoutMs` every connection is cut and none reconnects (jobs in flight are taken over by
   * another replica as stalled jobs); nothing is left to keep the process up.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.started = false;
    this.stopping = true;
    const graceful = (async () => {
      // Stopped together, not one after the other: a loop waiting on Redis must not keep the
      // others (or the API) running until the timeout.
      await Promise.all([
        // Answer the agents' long-polls now, or the API close waits out each of them.
        this.rollouts.watch.close().then(() => this.apiInstance?.close()),
        this.sweeper.close(),
        this.linkHealth.close(),
        this.rollouts.controller.close(),
        this.rollouts.follower?.close().then(() => this.fleetRepository?.close()),
        this.ingestWorker?.close(),
        this.deliveryWorker.close(),
      ]);
      this.headWatch?.close();
      await Promise.all([this.alertQueue.close(), this.intakeQueues.current.close(), this.intakeQueues.earlier.close(), this.alertCountQueue.close()]);
    })();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    if ((await Promise.race([graceful, expired])) === 'timeout') {
      this.logger.warn({ timeoutMs }, 'graceful stop timed out (Redis away?); cutting the connections');
      this.headWatch?.close();
    }
    clearTimeout(timer);
    this.redis.disconnect();
    this.workRedis.disconnect();
    this.bullRedis.disconnect();
    this.logger.info('hub stopped');
  }

  /**
   * Every replica follows the repository; a new head is left in Redis with its rollout
   * policy, and its mesh groups and inventory become the expected links of the clusters on
   * it. Link health reads the older revisions clusters still run through the same reader.
   */
  private repoFollower(repo: NonNullable<ResolvedHubOptions['fleetRepo']>): RepoFollower {
    const { intervalMs, maxBackoffMs, ...source } = repo;
    const repository = new FleetRepository(source, this.logger);
    this.fleetRepository = repository;
    const heads = new FleetHeads(this.workRedis, this.keys);
    const logger = this.logger.child({ component: 'repo-follower' });
    this.linkHealth.loadRevisionsWith((revision) => repository.fleetAt(revision));
    return new RepoFollower({ repository, ...(intervalMs ? { intervalMs } : {}), ...(maxBackoffMs ? { maxBackoffMs } : {}) }, async (revision) => {
      const fleet = await repository.fleetAt(revision);
      await heads.publish({ revision, policy: rolloutPolicyOf(fleet), seenAt: Date.now() });
      this.linkHealth.setFleet(fleet, revision);
    }, logger);
  }

  /** Counted on the API connection, so a scrape fails soon (and leaves the gauge out) when Redis is away. */
  private async queueDepth() {
    const depth: Array<{ queue: string; state: string; count: number }> = [];
    for (const queue of [this.intakeQueues.current, this.intakeQueues.earlier, this.alertCountQueue]) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
      for (const [state, count] of Object.entries(counts)) depth.push({ queue: queue.name, state, count });
    }
    return depth;
  }
}

/** Resolves once `client` is ready, or after `boundMs` whatever its state. */
async function untilReady(client: RedisClient, boundMs: number): Promise<void> {
  if (client.status === 'ready') return;
  let onReady: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    onReady = resolve;
    timer = setTimeout(resolve, boundMs);
    client.once('ready', onReady);
  });
  clearTimeout(timer);
  client.off('ready', onReady!);
}
