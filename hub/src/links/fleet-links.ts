import {
  LinkState, type ClusterLinksResponse, type IncomingLinksResponse, type LinkDetailResponse, type LinkFinding, type LinkMatrixQuery, type LinkMatrixResponse,
  type LinkReportBody, type PartitionFinding,
} from '@netfleet/shared/protocol/links';
import type { LinkTopology } from './expected-links.js';
import { FindingHolds } from './finding-holds.js';
import { LinkFailures, type LinkFailure } from './link-failures.js';
import { LinkMatrix, type LinkMatrixOptions } from './matrix.js';
import type { FailingSince } from './restore.js';
import { analysePairGraph, isCovered, type PartitionAnalysis, type PartitionOptions } from './partitions.js';

/**
 * The hub's link health: the matrix, the partition analysis after every report, and the
 * alerts that follow. Alertable findings are the partition findings plus the per-link
 * findings no partition explains, so a region cut off raises one alert, not one per link.
 * A finding fires only after it has lasted `raiseAfterMs`, and resolves only after it has
 * been gone for `resolveAfterMs`: agents report within a minute of each other, so a
 * partition appears and heals report by report, and the explanation that covers the failed
 * links may shift on the way (a cluster briefly looks isolated before its whole region
 * does). The holds keep those passing shapes from firing or resolving. A report that leaves
 * the partitions as they were is evaluated by the findings it changed alone.
 * Pure and in memory: the caller persists the latest report per cluster and replays them
 * at start (a 200-cluster fleet rebuilds in tens of ms).
 */

/** Distinct queries whose responses are kept at once. */
const MAX_CACHED_VIEWS = 16;

export interface FleetLinksOptions {
  matrix?: Partial<LinkMatrixOptions>;
  partitions?: Partial<PartitionOptions>;
  /**
   * How long a finding must last before it fires, in ms.
   * @defaultValue 120000 (two report intervals)
   */
  raiseAfterMs?: number;
  /**
   * How long a firing finding must be gone before it resolves, in ms.
   * @defaultValue 60000 (one report interval)
   */
  resolveAfterMs?: number;
  /**
   * Shortest time between two partition analyses, in ms. An analysis reads the whole pair
   * graph (at 100,000 clusters, hundreds of ms of the event loop), and reports come in
   * every pass: meanwhile findings are judged against the last analysis.
   * @defaultValue a quarter of `raiseAfterMs`, so a partition is analysed several times before it may fire
   */
  analysisIntervalMs?: number;
}

/** What one report changed in the alertable findings; alerts fire and resolve on these. */
export interface LinkAlertChanges {
  raised: (LinkFinding | PartitionFinding)[];
  resolved: (LinkFinding | PartitionFinding)[];
}

type ResolvedOptions = FleetLinksOptions & Required<Pick<FleetLinksOptions, 'raiseAfterMs' | 'resolveAfterMs' | 'analysisIntervalMs'>>;
type AlertableFinding = LinkFinding | PartitionFinding;

export class FleetLinks {
  readonly #options: ResolvedOptions;
  #topology: LinkTopology;
  #matrix: LinkMatrix;
  #analysis: PartitionAnalysis = { findings: [], covered: new Set() };
  readonly #holds: FindingHolds<AlertableFinding>;
  /** When the partitions were last analysed, and whether reports since may have changed them. */
  #analysedAt = Number.NEGATIVE_INFINITY;
  #analysisDue = false;
  readonly #latest = new Map<string, { body: LinkReportBody; receivedAt: Date }>();
  /** Built responses by query, dropped whenever the matrix changes. */
  readonly #views = new Map<string, LinkMatrixResponse>();
  readonly #failures = new LinkFailures();

  constructor(topology: LinkTopology, options: FleetLinksOptions = {}) {
    const raiseAfterMs = options.raiseAfterMs ?? 120_000;
    this.#options = { raiseAfterMs, resolveAfterMs: 60_000, analysisIntervalMs: raiseAfterMs / 4, ...options };
    this.#holds = new FindingHolds(this.#options.raiseAfterMs, this.#options.resolveAfterMs);
    this.#topology = topology;
    this.#matrix = new LinkMatrix(topology, options.matrix);
  }

  /**
   * Takes a cluster's link report, with since when its failing links fail (missing ones
   * count as failing since before the hub kept time); returns the alertable findings it
   * raised and resolved.
   */
  ingest(cluster: string, body: LinkReportBody, receivedAt: Date, failingSince: FailingSince = {}): LinkAlertChanges {
    this.#latest.set(cluster, { body, receivedAt });
    this.#failures.set(cluster, body, failingSince);
    this.#views.clear();
    // Partitions depend only on which links fail; most reports change figures, not that.
    if (this.#matrix.applyReport(cluster, body, receivedAt)) this.#analysisDue = true;
    return this.#evaluateWhenDue(receivedAt);
  }

  /**
   * Takes many reports at once (a starting hub's stored reports, or a pass's), analysing and
   * evaluating once at the end: evaluating walks every finding of the fleet, so once per
   * report would make a pass quadratic in a large fleet.
   */
  ingestAll(reports: Iterable<[cluster: string, body: LinkReportBody]>, receivedAt: Date, failingSince: ReadonlyMap<string, FailingSince> = new Map()): LinkAlertChanges {
    this.#views.clear();
    let partitionsMayChange = false;
    for (const [cluster, body] of reports) {
      this.#latest.set(cluster, { body, receivedAt });
      this.#failures.set(cluster, body, failingSince.get(cluster) ?? {});
      if (this.#matrix.applyReport(cluster, body, receivedAt)) partitionsMayChange = true;
    }
    if (partitionsMayChange) this.#analysisDue = true;
    return this.#evaluateWhenDue(receivedAt);
  }

  /** Fires findings that have lasted long enough; call it periodically. */
  tick(now: Date): LinkAlertChanges {
    return this.#evaluateWhenDue(now);
  }

  /** Drops a cluster that left the fleet: its report no longer counts anywhere. */
  forget(cluster: string, now: Date): LinkAlertChanges {
    if (!this.#latest.delete(cluster)) return { raised: [], resolved: [] };
    this.#failures.forget(cluster);
    return this.setTopology(this.#topology, now);
  }

  /** Switches to the mesh groups and inventory of a new revision, replaying the latest reports. */
  setTopology(topology: LinkTopology, now: Date): LinkAlertChanges {
    this.#topology = topology;
    this.#matrix = new LinkMatrix(topology, this.#options.matrix);
    this.#views.clear();
    for (const [cluster, { body, receivedAt }] of this.#latest) this.#matrix.applyReport(cluster, body, receivedAt);
    return this.#reanalyse(now);
  }

  /**
   * The matrix API response. Responses are kept until the next report or topology change:
   * dashboards poll the same view, and a 200-cluster matrix takes tens of ms to build.
   */
  view(query: LinkMatrixQuery = {}): LinkMatrixResponse {
    const key = JSON.stringify([query.group ?? '', query.region ?? '', query.state ?? '']);
    let response = this.#views.get(key);
    if (!response) {
      if (this.#views.size >= MAX_CACHED_VIEWS) this.#views.clear();
      response = this.#matrix.view(query, this.#analysis);
      this.#views.set(key, response);
    }
    return response;
  }

  /** A cluster's links as last reported, or undefined for a cluster the topology does not know. */
  clusterLinks(cluster: string): ClusterLinksResponse | undefined {
    const latest = this.#latest.get(cluster);
    if (!latest && !this.#topology.regionOf.has(cluster)) return undefined;
    return { cluster, reportedAt: latest?.receivedAt.toISOString() ?? null, links: latest?.body.links ?? [] };
  }

  /**
   * The links peers last reported towards `cluster` (found by its public domain), by peer
   * name; undefined for a cluster the topology does not know. Reads every report: for one
   * cluster's page, not for the fleet.
   */
  incomingLinks(cluster: string): IncomingLinksResponse | undefined {
    const { regionOf, clusterByDomain } = this.#topology;
    if (!regionOf.has(cluster)) return undefined;
    const links: IncomingLinksResponse['links'] = [];
    for (const [from, { body }] of this.#latest) {
      if (from === cluster) continue;
      for (const observation of body.links) if (clusterByDomain.get(observation.peerDomain) === cluster) links.push({ from, observation });
    }
    links.sort((a, b) => a.from.localeCompare(b.from) || a.observation.kind.localeCompare(b.observation.kind) || a.observation.name.localeCompare(b.observation.name));
    return { cluster, links };
  }

  /**
   * What `from` last reported of its links to `to`, each with since when it fails; undefined
   * when the topology knows neither cluster.
   */
  linkDetail(from: string, to: string): LinkDetailResponse | undefined {
    const { regionOf, clusterByDomain } = this.#topology;
    if (!regionOf.has(from) || !regionOf.has(to)) return undefined;
    const latest = this.#latest.get(from);
    const failures = this.#failures.touching(from, undefined, clusterByDomain).filter((failure) => failure.to === to);
    const links = (latest?.body.links ?? []).filter((observation) => clusterByDomain.get(observation.peerDomain) === to).map((observation) => {
      const since = failures.find((failure) => failure.kind === observation.kind && failure.name === observation.name)?.since;
      return { observation, failingSince: since ? new Date(since).toISOString() : null };
    });
    return { from, to, reportedAt: latest?.receivedAt.toISOString() ?? null, links };
  }

  /** The failing links of a cluster and of its peers towards it, with since when they fail. */
  linkFailures(cluster: string): LinkFailure[] {
    return this.#failures.touching(cluster, this.#topology.domainOf.get(cluster), this.#topology.clusterByDomain);
  }

  /** A cluster's region in the current topology, or undefined for a cluster it does not know. */
  clusterRegion(cluster: string): string | undefined {
    return this.#topology.regionOf.get(cluster);
  }

  /** Findings that fire now. */
  firing(): AlertableFinding[] {
    return [...this.#holds.firing()];
  }

  /** The finding with this id if it fires now. */
  firingFinding(id: string): AlertableFinding | undefined {
    return this.#holds.firingFinding(id);
  }

  /** Reported links outside the reporting cluster's mesh groups, left out of the matrix. */
  undeclaredLinkCount(): number {
    return this.#matrix.undeclaredLinkCount();
  }

  /** Reported links by state across the fleet, for the `links by state` metric. */
  countsByState(): Record<LinkState, number> {
    const counts = Object.fromEntries(Object.values(LinkState).map((state) => [state, 0])) as Record<LinkState, number>;
    for (const { body } of this.#latest.values()) for (const link of body.links) counts[link.state] += 1;
    return counts;
  }

  /** Analyses the partitions again if reports may have changed them and the interval has passed; evaluates the findings. */
  #evaluateWhenDue(now: Date): LinkAlertChanges {
    if (this.#analysisDue && now.getTime() - this.#analysedAt >= this.#options.analysisIntervalMs) return this.#reanalyse(now);
    return this.#evaluate(now);
  }

  #reanalyse(now: Date): LinkAlertChanges {
    this.#analysisDue = false;
    this.#analysedAt = now.getTime();
    this.#views.clear();
    this.#analysis = analysePairGraph(this.#matrix.pairGraph(), this.#topology.regionOf, this.#options.partitions);
    return this.#evaluateAll(now);
  }

  /** Evaluates the findings the matrix changed since the last evaluation, against the partitions as they are. */
  #evaluate(now: Date): LinkAlertChanges {
    const changed: [string, AlertableFinding | undefined][] = [];
    for (const id of this.#matrix.takeChanged()) {
      const finding = this.#matrix.finding(id);
      changed.push([id, finding && !isCovered(finding, this.#analysis.covered) ? finding : undefined]);
    }
    return this.#holds.update(changed, now.getTime());
  }

  /** Evaluates every finding: the partitions, and so what they cover, may have changed. */
  #evaluateAll(now: Date): LinkAlertChanges {
    this.#matrix.takeChanged();
    const current = new Map<string, AlertableFinding>();
    for (const finding of this.#analysis.findings) current.set(finding.id, finding);
    for (const finding of this.#matrix.findings()) if (!isCovered(finding, this.#analysis.covered)) current.set(finding.id, finding);
    return this.#holds.replaceAll(current, now.getTime());
  }
}
