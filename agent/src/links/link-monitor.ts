import { OWNER_LABEL, OWNER_VALUE, createLogger, type KubeObject, type Logger } from '@netfleet/shared';
import {
  LINK_RESOURCE_KIND, LinkKind, summarizeLinks,
  type LinkObservation, type LinkReportBody, type LinkSummary,
} from '@netfleet/shared/protocol/links';
import { KindNotServedError } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { DEFAULT_STALE_AFTER_MS, LinkPresence, deriveLinkState, linkKindOf } from './link-state.js';
import type { LinkMetrics } from './metrics.js';
import type { MetadataProber, ProbeTarget } from './probe.js';

/**
 * Watches the cluster's federation and multicluster links: lists every IstioFederation and
 * IstioMulticluster (managed or not), derives each link's state, probes the peers, and
 * sends a link report whenever the result differs from the last one sent. Heartbeats carry
 * the summary of the last observation.
 */

/** The apiVersion of both link kinds. */
export const LINK_API_VERSION = 'deckhouse.io/v1alpha1';

/** Where the monitor reads link resources from. */
export interface LinkSource {
  /** Every object of the kind in the cluster, or undefined when the kind is not served. */
  list(kind: LinkKind): Promise<KubeObject[] | undefined>;
}

/** The link resources among rendered objects: what the fleet repository declares for this cluster. */
export function declaredLinkObjects(objects: readonly { object: KubeObject }[]): KubeObject[] {
  return objects.map((rendered) => rendered.object).filter((object) => linkKindOf(object.kind) !== undefined);
}

/** A LinkSource over the agent's cluster client (discovery decides whether a kind is served). */
export function kubeLinkSource(client: Pick<KubeClient, 'served' | 'list'>): LinkSource {
  return {
    async list(kind) {
      const resourceKind = LINK_RESOURCE_KIND[kind];
      try {
        await client.served(LINK_API_VERSION, resourceKind);
      } catch (error) {
        if (error instanceof KindNotServedError) return undefined;
        throw error;
      }
      return (await client.list(LINK_API_VERSION, resourceKind)).items;
    },
  };
}

export interface LinkMonitorOptions {
  source: LinkSource;
  /** Sends one link report; a rejection keeps the report pending for the next pass. */
  send: (body: LinkReportBody) => Promise<void>;
  /** This cluster's `clusterDomain` ('' until known; see `setLocalDomains`). */
  localClusterDomain: string;
  /** This cluster's public domain, when known (detects links pointing at this cluster). */
  localPublicDomain?: string;
  /**
   * The link resources the fleet repository declares for this cluster at the applied
   * revision; those absent from the cluster are reported as missing.
   * @defaultValue () => []
   */
  declared?: () => readonly KubeObject[];
  /** Probes peers' public metadata endpoints; without it, no active probe runs. */
  prober?: MetadataProber;
  /** Records every pass (links by state, probe latency, certificate days left). */
  metrics?: LinkMetrics;
  /**
   * Age after which a successful exchange counts as stale, in ms.
   * @defaultValue 180000
   */
  staleAfterMs?: number;
  /**
   * Time between passes, in ms.
   * @defaultValue 60000
   */
  intervalMs?: number;
  /**
   * Upper bound of the delay between failed passes, in ms (doubles from `intervalMs / 8`).
   * @defaultValue 300000
   */
  maxBackoffMs?: number;
  /** @defaultValue () => new Date() */
  now?: () => Date;
  /** @defaultValue a logger named `links` */
  logger?: Logger;
}

type ResolvedOptions = Required<Omit<LinkMonitorOptions, 'prober' | 'metrics' | 'localPublicDomain'>> & Pick<LinkMonitorOptions, 'prober' | 'metrics' | 'localPublicDomain'>;

function resolveOptions(options: LinkMonitorOptions): ResolvedOptions {
  return {
    declared: () => [],
    staleAfterMs: DEFAULT_STALE_AFTER_MS,
    intervalMs: 60_000,
    maxBackoffMs: 300_000,
    now: () => new Date(),
    logger: createLogger({ name: 'links' }),
    ...options,
  };
}

/** What one pass did. */
export interface LinkCheckResult {
  body: LinkReportBody;
  /** True when the body differed from the last one sent and was sent. */
  sent: boolean;
}

export class LinkMonitor {
  readonly #options: ResolvedOptions;
  #lastSentFingerprint: string | undefined;
  #lastObserved: LinkObservation[] = [];
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #running: Promise<void> | undefined;
  #stopped = true;
  /** A pass was asked for while one ran: run again right after it. */
  #refreshRequested = false;
  #local: { clusterDomain: string; publicDomain?: string };

  constructor(options: LinkMonitorOptions) {
    this.#options = resolveOptions(options);
    this.#local = { clusterDomain: options.localClusterDomain, ...(options.localPublicDomain ? { publicDomain: options.localPublicDomain } : {}) };
  }

  /** This cluster's domains from now on (the agent learns them from the fleet inventory at the applied revision). */
  setLocalDomains(clusterDomain: string, publicDomain?: string): void {
    this.#local = { clusterDomain, ...(publicDomain ? { publicDomain } : {}) };
  }

  /** Runs a pass now, or right after the one in progress (the declared links or domains changed). */
  refresh(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#refreshRequested = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Link counts per state from the last pass, for heartbeats. */
  summary(): LinkSummary {
    return summarizeLinks(this.#lastObserved);
  }

  /** The links seen in the last pass. */
  get links(): readonly LinkObservation[] {
    return this.#lastObserved;
  }

  /** One pass: observe, and send a report when anything but volatile figures changed. */
  async check(): Promise<LinkCheckResult> {
    const links = await this.observe();
    this.#lastObserved = links;
    this.#options.metrics?.record(links);
    const body: LinkReportBody = { links };
    const fingerprint = fingerprintOf(links);
    if (fingerprint === this.#lastSentFingerprint) return { body, sent: false };
    await this.#options.send(body);
    this.#lastSentFingerprint = fingerprint;
    this.#options.logger.info({ links: links.length, summary: this.summary().byState }, 'link report sent');
    return { body, sent: true };
  }

  /** Every link of the cluster, declared ones missing from it included, sorted by kind and name. */
  async observe(): Promise<LinkObservation[]> {
    const now = this.#options.now();
    const declared = this.#options.declared();
    const observations: LinkObservation[] = [];
    const probeTargets: { observation: LinkObservation; target: ProbeTarget }[] = [];
    for (const kind of Object.values(LinkKind)) {
      const live = await this.#options.source.list(kind);
      const declaredOfKind = declared.filter((object) => linkKindOf(object.kind) === kind);
      const context = {
        localClusterDomain: this.#local.clusterDomain,
        localPublicDomain: this.#local.publicDomain,
        staleAfterMs: this.#options.staleAfterMs,
        now,
      };
      if (!live) {
        for (const object of declaredOfKind) {
          observations.push(deriveLinkState(kind, object, { ...context, managed: true, presence: LinkPresence.KindNotServed }));
        }
        continue;
      }
      const liveNames = new Set(live.map((object) => object.metadata.name));
      for (const object of live) {
        const observation = deriveLinkState(kind, object, { ...context, managed: object.metadata.labels?.[OWNER_LABEL] === OWNER_VALUE });
        observations.push(observation);
        probeTargets.push({ observation, target: probeTargetOf(object) });
      }
      for (const object of declaredOfKind) {
        if (!liveNames.has(object.metadata.name)) {
          observations.push(deriveLinkState(kind, object, { ...context, managed: true, presence: LinkPresence.Absent }));
        }
      }
    }
    if (this.#options.prober) {
      const results = await this.#options.prober.probeAll(probeTargets.map((entry) => entry.target));
      results.forEach((probe, index) => {
        if (probe) probeTargets[index]!.observation.probe = probe;
      });
    }
    return observations.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  /** Runs passes every `intervalMs`; a failed pass is logged and retried with backoff. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#pass().finally(() => {
        this.#running = undefined;
      });
    }, delayMs);
  }

  async #pass(): Promise<void> {
    let delay = this.#options.intervalMs;
    this.#refreshRequested = false;
    try {
      await this.check();
      this.#failures = 0;
    } catch (error) {
      this.#failures += 1;
      delay = Math.min(this.#options.maxBackoffMs, (this.#options.intervalMs / 8) * 2 ** (this.#failures - 1));
      this.#options.logger.warn({ err: error, failures: this.#failures, retryInMs: delay }, 'link check failed');
    }
    if (!this.#stopped) this.#schedule(this.#refreshRequested ? 0 : delay);
  }
}

function probeTargetOf(object: KubeObject): ProbeTarget {
  const spec = (object.spec ?? {}) as { metadataEndpoint?: unknown; metadata?: { ca?: unknown; insecureSkipVerify?: unknown } };
  return {
    metadataEndpoint: typeof spec.metadataEndpoint === 'string' ? spec.metadataEndpoint : '',
    ...(typeof spec.metadata?.ca === 'string' && spec.metadata.ca ? { ca: spec.metadata.ca } : {}),
    ...(spec.metadata?.insecureSkipVerify === true ? { insecureSkipVerify: true } : {}),
  };
}

/**
 * What makes two observations different enough to report: states, reasons and probe
 * outcomes, not ages, latencies or messages (which carry ages).
 */
function fingerprintOf(links: readonly LinkObservation[]): string {
  return JSON.stringify(links.map((link) => [
    link.kind, link.name, link.managed, link.metadataEndpoint, link.state, link.reason, link.upstreamReason ?? '', link.cachedClusterUUID ?? '',
    link.probe ? [link.probe.outcome, link.probe.httpStatus ?? 0, link.probe.certificateDaysLeft ?? '', link.probe.clusterUUID ?? '', link.probe.previousClusterUUID ?? ''] : [],
  ]));
}
