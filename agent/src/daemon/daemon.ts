import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ErrorClass, createLogger, type Logger } from '@netfleet/shared';
import { DriftDetector, defaultDriftOptions } from '../drift/detector.js';
import { AgentConfigError } from '../errors.js';
import { AgentEvents } from '../events.js';
import { InventoryStore } from '../inventory/index.js';
import { KubeClient } from '../kube/client.js';
import { LinkMetrics, LinkMonitor, MetadataProber, declaredLinkObjects, kubeLinkSource } from '../links/index.js';
import { Reconciler, defaultReconcileOptions } from '../reconcile/reconcile.js';
import type { SyncResult } from '../reconcile/result.js';
import type { FleetSource, RenderFleet, RenderedCluster } from '../reconcile/source.js';
import { AppliedMemo } from '../ssa/memo.js';
import { buildHttpServer, closeServer, listenOn } from './http.js';
import { AgentMetrics } from './metrics.js';
import type { AgentOptions } from './options.js';
import type { PolledSource } from './sources.js';

/** The parts a daemon is built from; the CLI builds them from options, tests pass their own. */
export interface AgentDaemonParts {
  options: AgentOptions;
  source: FleetSource | PolledSource;
  render: RenderFleet;
  /** @defaultValue a client built from `options.kubeconfig` / `options.inCluster` */
  client?: KubeClient;
  /** @defaultValue a logger named `agent` */
  logger?: Logger;
  /** Where metrics go (shared with the source's git fetch timer). @defaultValue a new AgentMetrics */
  metrics?: AgentMetrics;
  /** Serve `/healthz`, `/readyz`, `/metrics` on `options.listen`. @defaultValue true */
  serveHttp?: boolean;
  /**
   * Probes the link peers' metadata endpoints.
   * @defaultValue one built from the `linkProbe*` options; none when `linkProbes` is false
   */
  linkProber?: MetadataProber;
}

/** A loop step (poll and sync) running longer than this makes `/healthz` report the loop stuck. */
const STUCK_AFTER_MS = 10 * 60_000;

/**
 * `netfleet agent`: syncs on an interval (only when the source moved, or to retry),
 * keeps drift in check between syncs, serves probes and metrics, and stops cleanly on
 * SIGTERM after the step in progress. Everything it does is emitted on `events`.
 */
export class AgentDaemon {
  readonly events = new AgentEvents();
  readonly metrics: AgentMetrics;
  readonly client: KubeClient;
  readonly reconciler: Reconciler;
  readonly drift: DriftDetector;
  /** Federation and multicluster link health; its reports go out as `links-changed` events. */
  readonly links: LinkMonitor;
  readonly #options: AgentOptions;
  readonly #source: FleetSource | PolledSource;
  readonly #logger: Logger;
  readonly #http: Server | undefined;
  readonly #stopping = new AbortController();
  #lastResult: SyncResult | undefined;
  /** The render of the sync in progress, and the one of the revision applied last. */
  #rendered: RenderedCluster | undefined;
  #applied: RenderedCluster | undefined;
  /** When the step in progress started; undefined between steps. */
  #stepStartedAt: number | undefined;
  #lastStepAt = Date.now();
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Set by `assign(..., { again: true })`: sync at the next step even if nothing moved. */
  #syncRequested = false;
  /** A wake-up that arrived while no sleep was in progress. */
  #wakeRequested = false;

  constructor(parts: AgentDaemonParts) {
    const { options } = parts;
    this.#options = options;
    this.#source = parts.source;
    this.metrics = parts.metrics ?? new AgentMetrics();
    this.#logger = (parts.logger ?? createLogger({ name: 'agent' })).child({ cluster: options.cluster });
    this.client = parts.client ?? new KubeClient({ kubeconfigPath: options.kubeconfig, context: options.context, inCluster: options.inCluster });
    const memo = new AppliedMemo();
    this.reconciler = new Reconciler({
      cluster: options.cluster, namespace: options.namespace, client: this.client, source: parts.source, render: this.#keepRender(parts.render), memo, logger: this.#logger,
      inventory: new InventoryStore(this.client, { namespace: options.namespace, cluster: options.cluster }),
      options: defaultReconcileOptions({
        pruneLimit: options.pruneLimit, healthTimeoutMs: options.healthTimeout * 1000, ...(options.driftMode ? { driftMode: options.driftMode } : {}),
      }),
    });
    this.drift = new DriftDetector(this.client, memo, this.events, this.#logger, defaultDriftOptions({
      resyncIntervalMs: options.resyncInterval * 1000, mode: options.driftMode,
    }));
    this.links = this.#linkMonitor(parts.linkProber);
    this.#wireMetrics();
    this.#http = parts.serveHttp === false ? undefined : buildHttpServer(this.metrics, {
      live: () => this.#live(),
      ready: () => !this.#stopping.signal.aborted && this.#lastResult !== undefined && this.#lastResult.appliedRevision !== '',
    });
  }

  /** The result of the last sync. */
  get lastResult(): SyncResult | undefined {
    return this.#lastResult;
  }

  /** Starts the probes, drift detection and the sync loop. */
  async start(): Promise<void> {
    if (this.#http) await listenOn(this.#http, this.#options.listen);
    this.drift.start();
    this.#loop = this.#run();
  }

  /** The address the probes listen on (after start). */
  get httpAddress(): string | undefined {
    const address = this.#http?.address();
    return address && typeof address === 'object' ? `http://127.0.0.1:${address.port}` : undefined;
  }

  /** One sync, with drift checks paused while it runs; emits `synced` or `sync-failed`. */
  async sync(options: { overridePruneLimit?: boolean } = {}): Promise<SyncResult> {
    const result = await this.drift.exclusive(
      () => this.reconciler.reconcile({ ...options, signal: this.#stopping.signal }),
      () => this.reconciler.desired?.objects,
    );
    this.#lastResult = result;
    this.#adoptRender(result);
    const log = this.#logger.child({ revision: result.revision });
    if (result.errorClass === undefined) {
      log.info({ durationMs: result.durationMs, reason: result.reason }, 'sync succeeded');
      this.events.emit('synced', result);
    } else {
      log.warn({ durationMs: result.durationMs, reason: result.reason, errorClass: result.errorClass, message: result.message }, 'sync failed');
      this.events.emit('sync-failed', result);
    }
    return result;
  }

  /**
   * Applies `revision` from now on instead of the branch head (the hub's assignment; an
   * older one is a rollback), or follows the head again with undefined. `again` syncs even
   * when the revision is the one applied (the hub retries a cluster). Wakes the loop.
   */
  assign(revision: string | undefined, options: { again?: boolean } = {}): void {
    const source = this.#source as Partial<PolledSource>;
    if (!source.pin) throw new AgentConfigError('this fleet source cannot apply a given revision', 'use a git repository URL for --repo to follow hub assignments');
    source.pin(revision);
    if (options.again) this.#syncRequested = true;
    this.#wakeUp();
  }

  /** Finishes the step in progress, then stops everything. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#wakeUp();
    await this.#loop;
    await this.links.stop();
    this.drift.stop();
    if (this.#http) await closeServer(this.#http);
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      this.#stepStartedAt = Date.now();
      try {
        if (await this.#due()) await this.sync();
      } catch (error) {
        // Every phase reports through SyncResult; reaching here is a bug, never a crash.
        this.#logger.error({ err: error instanceof Error ? error.message : String(error) }, 'sync loop step failed');
      }
      this.#stepStartedAt = undefined;
      this.#lastStepAt = Date.now();
      // After the first sync, so the first link report already knows the declared links.
      this.links.start();
      await this.#sleep(this.#nextDelaySeconds() * 1000);
    }
  }

  /** Alive unless one step has been running, or no step has finished, for too long. */
  #live(): boolean {
    const since = this.#stepStartedAt ?? this.#lastStepAt;
    const allowed = this.#stepStartedAt === undefined ? STUCK_AFTER_MS + Math.max(this.#options.interval, this.#options.retryInterval) * 1000 : STUCK_AFTER_MS;
    return Date.now() - since < allowed;
  }

  /** A sync is due when the source moved, or the last one should be retried. */
  async #due(): Promise<boolean> {
    const last = this.#lastResult;
    if (this.#syncRequested) {
      this.#syncRequested = false;
      return true;
    }
    if (!last || !('head' in this.#source)) return true;
    if (last.errorClass === ErrorClass.Transient || last.errorClass === ErrorClass.RetryLater) return true;
    try {
      const head = await this.#source.head();
      return head === undefined || head !== last.revision;
    } catch (error) {
      this.#logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'polling the repository failed');
      return true;
    }
  }

  #nextDelaySeconds(): number {
    const errorClass = this.#lastResult?.errorClass;
    return errorClass === ErrorClass.Transient || errorClass === ErrorClass.RetryLater ? this.#options.retryInterval : this.#options.interval;
  }

  /** Waits `ms`, or less when woken (during the wait or the step before it). */
  #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested || this.#stopping.signal.aborted) {
      this.#wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #wakeUp(): void {
    if (this.#wake) this.#wake();
    else this.#wakeRequested = true;
  }

  /** Wraps the renderer to keep the render of the sync in progress. */
  #keepRender(render: RenderFleet): RenderFleet {
    return async (reader, cluster) => {
      this.#rendered = await render(reader, cluster);
      return this.#rendered;
    };
  }

  /** Once a revision is applied, its link resources are the declared ones and its inventory entry names this cluster. */
  #adoptRender(result: SyncResult): void {
    const rendered = this.#rendered;
    this.#rendered = undefined;
    if (!rendered || result.revision === '' || result.appliedRevision !== result.revision) return;
    this.#applied = rendered;
    if (rendered.identity) this.links.setLocalDomains(rendered.identity.clusterDomain, rendered.identity.publicDomain);
    this.links.refresh();
  }

  #linkMonitor(prober: MetadataProber | undefined): LinkMonitor {
    const options = this.#options;
    const caBundle = options.linkProbeCaFile ? readCaBundle(options.linkProbeCaFile) : undefined;
    const linkProber = prober ?? (options.linkProbes ? new MetadataProber({
      timeoutMs: options.linkProbeTimeout * 1000, concurrency: options.linkProbeConcurrency, ...(caBundle ? { caBundle } : {}),
    }) : undefined);
    return new LinkMonitor({
      source: kubeLinkSource(this.client),
      send: async (body) => {
        this.events.emit('links-changed', body);
      },
      localClusterDomain: '',
      declared: () => declaredLinkObjects(this.#applied?.objects ?? []),
      ...(linkProber ? { prober: linkProber } : {}),
      metrics: new LinkMetrics(this.metrics.registry),
      staleAfterMs: options.linkStaleAfter * 1000,
      intervalMs: options.linkInterval * 1000,
      logger: this.#logger.child({ component: 'links' }),
    });
  }

  #wireMetrics(): void {
    this.events.on('synced', (result) => this.metrics.recordSync(result));
    this.events.on('sync-failed', (result) => this.metrics.recordSync(result));
    this.events.on('drift-detected', (items) => this.metrics.recordDrift(items));
    this.events.on('drift-resolved', () => this.metrics.recordDrift(this.drift.items));
    this.events.on('drift-corrected', () => this.metrics.driftCorrections.inc());
    this.events.on('drift-fight', () => this.metrics.driftFights.inc());
  }
}

function readCaBundle(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AgentConfigError(`cannot read the link probe CA bundle ${file}: ${(cause as Error).message}`, 'pass an existing PEM file with --link-probe-ca-file');
  }
}
