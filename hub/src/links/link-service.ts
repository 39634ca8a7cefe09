import type { Redis } from 'ioredis';
import type { Logger } from '@netfleet/shared';
import { PartitionScope, type LinkFinding, type PartitionFinding } from '@netfleet/shared/protocol/links';
import type { AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, severityOf, type AlertCondition } from '../alerts/rules.js';
import type { HubKeys } from '../redis/keys.js';
import { linkTopology, type InventoryClusterInput, type MeshGroupInput } from './expected-links.js';
import { FleetLinks, type FleetLinksOptions, type LinkAlertChanges } from './fleet-links.js';
import { loadLinkReports } from './restore.js';
import { PeriodicTask } from '../periodic-task.js';

/**
 * The hub replica's link health. Every replica keeps its own {@link FleetLinks}, built from
 * the link reports the ingest stored in Redis (whichever replica took them): each pass reads
 * the `linkSeq` of every cluster and loads only the reports that changed, so all replicas
 * serve the same matrix. Alerts come from one replica only, the sweeper lease holder: each
 * of its passes makes the firing link alerts in Redis match the findings that fire, which
 * also hands alerts over cleanly when the leader changes.
 */

export interface LinkServiceOptions {
  /** Time between passes (load changed reports, fire held findings, publish alerts), in ms. */
  intervalMs: number;
  /** True while this replica publishes alerts (the sweeper lease holder). */
  isLeader: () => boolean;
  /** Hold times and thresholds of the matrix and partitions. @defaultValue the FleetLinks defaults */
  fleetLinks?: FleetLinksOptions;
}

/** The fleet repository's parts a topology is built from (`loadFleet`'s result fits). */
export interface FleetTopologyInput {
  meshGroups: readonly MeshGroupInput[];
  clusters: ReadonlyMap<string, InventoryClusterInput>;
}

const LINK_RULES: readonly string[] = [AlertRule.LinkPartition, AlertRule.LinkProblem];

export class LinkService {
  readonly links: FleetLinks;
  /** The `linkSeq` of each cluster whose report is in `links`. */
  readonly #seqs = new Map<string, string>();
  /** Until a fleet revision is read, every link would look undeclared: no alerts before that. */
  #topologyKnown = false;
  readonly #loop: PeriodicTask;

  constructor(
    private readonly redis: Redis,
    private readonly keys: HubKeys,
    private readonly alerts: AlertEngine,
    private readonly options: LinkServiceOptions,
    private readonly logger: Logger,
  ) {
    this.links = new FleetLinks(linkTopology([], []), options.fleetLinks);
    this.#loop = new PeriodicTask(() => this.pass(), {
      intervalMs: options.intervalMs,
      onError: (error) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'link health pass failed, retrying next pass'),
    });
  }

  /** Expected links from now on: the mesh groups and inventory of a fleet repository revision. */
  setFleet(fleet: FleetTopologyInput, revision: string, now = new Date()): void {
    this.#log(this.links.setTopology(linkTopology(fleet.meshGroups, fleet.clusters.values()), now));
    this.#topologyKnown = true;
    this.logger.info({ revision, groups: fleet.meshGroups.length }, 'link topology updated');
  }

  /** One pass: take the link reports stored since the last pass, fire or resolve held findings, publish alerts when leading. */
  async pass(now = new Date()): Promise<void> {
    await this.#pull(now);
    this.#log(this.links.tick(now));
    if (this.#topologyKnown && this.options.isLeader()) await this.#publish(now);
  }

  start(): void {
    this.#loop.start();
  }

  close(): Promise<void> {
    return this.#loop.stop();
  }

  /** Loads the reports whose `linkSeq` moved (the first pass loads them all at once) and forgets revoked clusters. */
  async #pull(now: Date): Promise<void> {
    const registered = await this.redis.zrange(this.keys.clusters(), 0, -1);
    const pipeline = this.redis.pipeline();
    for (const name of registered) pipeline.hmget(this.keys.cluster(name), 'linkSeq', 'revoked');
    const seqs = new Map<string, string>();
    ((await pipeline.exec()) ?? []).forEach(([error, fields], index) => {
      if (error) throw error;
      const [seq, revoked] = fields as (string | null)[];
      if (revoked !== '1') seqs.set(registered[index]!, seq ?? '');
    });
    for (const name of [...this.#seqs.keys()].filter((known) => !seqs.has(known))) {
      this.#seqs.delete(name);
      this.#log(this.links.forget(name, now));
      this.logger.info({ cluster: name }, 'cluster left the fleet; its links no longer count');
    }
    const names = [...seqs.keys()];
    const changed = names.filter((name) => seqs.get(name) !== '' && this.#seqs.get(name) !== seqs.get(name));
    if (changed.length === 0) return;
    const first = this.#seqs.size === 0;
    const { reports, failingSince, invalid } = await loadLinkReports(this.redis, this.keys, changed);
    for (const name of changed) this.#seqs.set(name, seqs.get(name)!);
    if (invalid.length > 0) this.logger.warn({ clusters: invalid }, 'stored link reports that do not match the link report schema were left out');
    if (first) {
      this.#log(this.links.ingestAll(reports, now, failingSince));
      return;
    }
    for (const [cluster, body] of reports) this.#log(this.links.ingest(cluster, body, now, failingSince.get(cluster)));
  }

  /** Makes the firing link alerts match the findings that fire now. */
  async #publish(now: Date): Promise<void> {
    const wanted = new Map(this.links.firing().map((finding) => {
      const alert = this.#conditionOf(finding);
      return [alert.fingerprint, alert];
    }));
    const firing = (await this.redis.smembers(this.keys.firingAlerts())).filter((fingerprint) => LINK_RULES.some((rule) => fingerprint.startsWith(`${rule}:`)));
    for (const [fingerprint, alert] of wanted) if (!firing.includes(fingerprint)) await this.alerts.fire(alert, now.getTime());
    for (const fingerprint of firing) if (!wanted.has(fingerprint)) await this.alerts.resolve(fingerprint, now.getTime());
  }

  #conditionOf(finding: LinkFinding | PartitionFinding): AlertCondition {
    const regionOf = (cluster: string) => this.links.clusterRegion(cluster) ?? '';
    if ('scope' in finding) {
      const cluster = finding.scope === PartitionScope.Cluster ? finding.subject : '';
      const region = finding.scope === PartitionScope.Region ? finding.subject : regionOf(finding.subject);
      return this.#condition(AlertRule.LinkPartition, finding.id, finding.message, {
        cluster, region, scope: finding.scope, direction: finding.direction, peers: String(finding.peers.length), links: String(finding.linkCount),
      });
    }
    const cluster = finding.links[0]?.from ?? finding.clusters[0] ?? '';
    return this.#condition(AlertRule.LinkProblem, finding.id, finding.message, {
      cluster, region: regionOf(cluster), group: finding.group, type: finding.type,
    });
  }

  #condition(rule: AlertRule, id: string, summary: string, labels: Record<string, string> & { cluster: string; region: string }): AlertCondition {
    const severity = severityOf(rule);
    return { rule, fingerprint: `${rule}:${id}`, severity, summary, labels: { alertname: rule, severity, revision: '', ...labels } };
  }

  #log(changes: LinkAlertChanges): void {
    for (const finding of changes.raised) this.logger.warn({ finding: finding.id }, `link finding raised: ${finding.message}`);
    for (const finding of changes.resolved) this.logger.info({ finding: finding.id }, `link finding resolved: ${finding.message}`);
  }
}
