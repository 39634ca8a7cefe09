import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger } from '@netfleet/shared';
import { PartitionScope, type LinkFinding, type PartitionFinding } from '@netfleet/shared/protocol/links';
import type { AlertChange, AlertEngine } from '../alerts/alert-engine.js';
import { AlertRule, severityOf, type AlertCondition } from '../alerts/rules.js';
import type { HubKeys } from '../redis/keys.js';
import { composeTopology, linkTopology, type FleetTopologyInput } from './expected-links.js';
import { FleetLinks, type FleetLinksOptions, type LinkAlertChanges } from './fleet-links.js';
import { loadLinkReports } from './restore.js';
import { RevisionTopologies, type FleetLoader, type RevisionTopologiesOptions } from './revision-topologies.js';
import { PeriodicTask } from '../periodic-task.js';
import { hmgetEach } from '../redis/pipeline.js';

/**
 * The hub replica's link health. Every replica keeps its own {@link FleetLinks}, built from
 * the link reports the ingest stored in Redis (whichever replica took them): each pass reads
 * the clusters the link change log names since its last pass (every cluster now and then)
 * and loads only the reports that changed, so all replicas serve the same matrix. Alerts
 * come from one replica only, the sweeper lease holder: each of its passes makes the firing link alerts in Redis match the findings that fire, which
 * also hands alerts over cleanly when the leader changes.
 * Expected links follow each cluster's applied revision (the `revision` field of its hash,
 * read in the same pass): when a cluster moves to a revision that declares other mesh
 * groups or inventory, the topology is recomposed and the matrix rebuilt from the latest
 * reports. Revisions not loaded yet are loaded in the background; until then, and for a
 * cluster that has not synced, the head's topology stands.
 */

export interface LinkServiceOptions {
  /** Time between passes (load changed reports, fire held findings, publish alerts), in ms. */
  intervalMs: number;
  /** True while this replica publishes alerts (the sweeper lease holder). */
  isLeader: () => boolean;
  /** Hold times and thresholds of the matrix and partitions. @defaultValue the FleetLinks defaults */
  fleetLinks?: FleetLinksOptions;
  /** How many revisions are kept loaded and how failed loads are retried. @defaultValue the RevisionTopologies defaults */
  revisions?: RevisionTopologiesOptions;
}

const LINK_RULES: readonly AlertRule[] = [AlertRule.LinkPartition, AlertRule.LinkProblem];

/** Every this many passes one reads every cluster, not only those the change log names. */
export const FULL_READ_PASSES = 60;

/** Alerts fired or resolved per round trip when publishing. */
const PUBLISH_PAGE = 500;

export class LinkService {
  readonly links: FleetLinks;
  /** The `linkSeq` of each cluster whose report is in `links`. */
  readonly #seqs = new Map<string, string>();
  readonly #revisions: RevisionTopologies;
  /** The revision each cluster applied ('' before its first sync), as of the last pass. */
  readonly #applied = new Map<string, string>();
  /** The clusters on each revision of `#applied`: a pass walks the revisions in use, not the fleet. */
  readonly #clustersOn = new Map<string, Set<string>>();
  /** What the current topology was composed from: the head, and the clusters judged by another revision. */
  #composedHead: FleetTopologyInput | undefined;
  #composedFrom = new Map<string, FleetTopologyInput>();
  readonly #loop: PeriodicTask;
  /** The number of the last link change read (`HubKeys.linkChanges`); undefined before the first pass. */
  #changes: string | undefined;
  #passesSinceFull = 0;
  /** Findings raised or resolved since the last publish, by id, as last seen. */
  #unpublished = new Map<string, LinkFinding | PartitionFinding>();
  /** Passes since the firing alerts were last compared with every firing finding; undefined: compare on the next publish. */
  #passesSinceFullPublish: number | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: HubKeys,
    private readonly alerts: AlertEngine,
    private readonly options: LinkServiceOptions,
    private readonly logger: Logger,
  ) {
    this.links = new FleetLinks(linkTopology([], []), options.fleetLinks);
    this.#revisions = new RevisionTopologies(() => this.#recompose(new Date()), logger, options.revisions);
    this.#loop = new PeriodicTask(() => this.pass(), {
      intervalMs: options.intervalMs,
      onError: (error) => this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'link health pass failed, retrying next pass'),
    });
  }

  /** The fleet repository's branch head: the expected links of clusters on it, or on a revision not loaded yet. */
  setFleet(fleet: FleetTopologyInput, revision: string, now = new Date()): void {
    this.#revisions.setHead(revision, fleet);
    this.#recompose(now);
  }

  /** Loads the revisions clusters run that are not the head with `load` (in the background). */
  loadRevisionsWith(load: FleetLoader): void {
    this.#revisions.loadWith(load);
  }

  /** One pass: take the link reports stored since the last pass, fire or resolve held findings, publish alerts when leading. */
  async pass(now = new Date()): Promise<void> {
    await this.#pull(now);
    this.#log(this.links.tick(now));
    // Until a fleet revision is read, every link would look undeclared: no alerts before that.
    if (this.#revisions.head && this.options.isLeader()) {
      await this.#publish(now);
    } else {
      // Another replica publishes meanwhile; once this one leads it compares everything.
      this.#unpublished.clear();
      this.#passesSinceFullPublish = undefined;
    }
  }

  start(): void {
    this.#loop.start();
  }

  async close(): Promise<void> {
    await this.#loop.stop();
    await this.#revisions.close();
  }

  /**
   * Reads the clusters noted in the link change log since the last pass; the first pass and
   * every `FULL_READ_PASSES`th reads every cluster, which also catches changes written by
   * hubs that keep no log (earlier versions, during an upgrade).
   */
  async #pull(now: Date): Promise<void> {
    const changes = (await this.redis.get(this.keys.linkChanges())) ?? '0';
    const full = this.#changes === undefined || this.#passesSinceFull >= FULL_READ_PASSES;
    let names: string[] = [];
    if (full) names = await this.redis.zrange(this.keys.clusters(), 0, -1);
    else if (changes !== this.#changes) names = await this.redis.zrangebyscore(this.keys.linkChanged(), `(${this.#changes}`, '+inf');
    await this.#take(names, full, now);
    // Moved on only once what it names is taken: after a failed pass the next reads them again.
    this.#changes = changes;
    this.#passesSinceFull = full ? 0 : this.#passesSinceFull + 1;
  }

  /**
   * Loads the reports of `names` whose `linkSeq` moved (the first pass loads them all at
   * once), forgets revoked clusters, and follows the revisions clusters applied; `full` when
   * `names` is every registered cluster.
   */
  async #take(names: readonly string[], full: boolean, now: Date): Promise<void> {
    const seqs = await this.#read(names);
    const left = full ? [...this.#seqs.keys()].filter((known) => !seqs.has(known)) : names.filter((name) => !seqs.has(name) && this.#seqs.has(name));
    for (const name of left) {
      this.#seqs.delete(name);
      this.#log(this.links.forget(name, now));
      this.logger.info({ cluster: name }, 'cluster left the fleet; its links no longer count');
    }
    if (full) for (const name of this.#applied.keys()) if (!seqs.has(name)) this.#follow(name, undefined);
    for (const name of names) if (!seqs.has(name)) this.#follow(name, undefined);
    for (const [name, { revision }] of seqs) this.#follow(name, revision);
    this.#revisions.use(this.#clustersOn.keys(), now.getTime());
    this.#recompose(now);
    const changed = [...seqs].filter(([name, { seq }]) => seq !== '' && this.#seqs.get(name) !== seq).map(([name]) => name);
    if (changed.length === 0) return;
    const { reports, failingSince, invalid } = await loadLinkReports(this.redis, this.keys, changed);
    for (const name of changed) this.#seqs.set(name, seqs.get(name)!.seq);
    if (invalid.length > 0) this.logger.warn({ clusters: invalid }, 'stored link reports that do not match the link report schema were left out');
    this.#log(this.links.ingestAll(reports, now, failingSince));
  }

  /** Notes the revision `cluster` applied; undefined: it left the fleet. */
  #follow(cluster: string, revision: string | undefined): void {
    const before = this.#applied.get(cluster);
    if (before === revision) return;
    if (before !== undefined) {
      const clusters = this.#clustersOn.get(before)!;
      clusters.delete(cluster);
      if (clusters.size === 0) this.#clustersOn.delete(before);
    }
    if (revision === undefined) {
      this.#applied.delete(cluster);
      return;
    }
    this.#applied.set(cluster, revision);
    const clusters = this.#clustersOn.get(revision);
    if (clusters) clusters.add(cluster);
    else this.#clustersOn.set(revision, new Set([cluster]));
  }

  /** The `linkSeq` ('' before any link report) and applied revision of each of `names` that is registered and not revoked. */
  async #read(names: readonly string[]): Promise<Map<string, { seq: string; revision: string }>> {
    const read = new Map<string, { seq: string; revision: string }>();
    const replies = await hmgetEach(this.redis, names.map((name) => this.keys.cluster(name)), ['linkSeq', 'revoked', 'revision', 'keyGeneration']);
    replies.forEach(([seq, revoked, revision, generation], index) => {
      if (revoked === '1' || generation === null) return;
      read.set(names[index]!, { seq: seq ?? '', revision: revision ?? '' });
    });
    return read;
  }

  /**
   * Composes the topology from each cluster's applied revision (the head for a cluster whose
   * revision is unknown or not loaded); rebuilds the matrix only when what it is composed
   * from changed.
   */
  #recompose(now: Date): void {
    const head = this.#revisions.head;
    if (!head) return;
    const fleetOf = new Map<string, FleetTopologyInput>();
    const behind = new Set<string>();
    for (const [revision, clusters] of this.#clustersOn) {
      const topology = revision ? this.#revisions.topologyOf(revision) : undefined;
      if (!topology || topology === head.topology) continue;
      for (const cluster of clusters) fleetOf.set(cluster, topology);
      behind.add(revision);
    }
    const unchanged = head.topology === this.#composedHead && fleetOf.size === this.#composedFrom.size
      && [...fleetOf].every(([cluster, topology]) => this.#composedFrom.get(cluster) === topology);
    if (unchanged) return;
    this.#composedHead = head.topology;
    this.#composedFrom = fleetOf;
    this.#log(this.links.setTopology(composeTopology(head.topology, fleetOf), now));
    this.logger.info({ revision: head.revision, groups: head.topology.meshGroups.length, otherRevisions: [...behind], clustersOnOtherRevisions: fleetOf.size },
      'link topology updated');
  }

  /**
   * Makes the firing link alerts match the findings that fire now: by the findings raised or
   * resolved since the last publish, and on a replica's first publish as the leader (and every
   * `FULL_READ_PASSES`th, which also mends what a failed one left) by every firing alert.
   */
  async #publish(now: Date): Promise<void> {
    const passes = this.#passesSinceFullPublish;
    const full = passes === undefined || passes >= FULL_READ_PASSES;
    const changes = full ? await this.#allAlertChanges() : this.#unpublishedAlertChanges();
    this.#unpublished = new Map();
    // Until these are all written, a failure leaves the next publish to compare everything.
    this.#passesSinceFullPublish = undefined;
    for (let start = 0; start < changes.length; start += PUBLISH_PAGE) await this.alerts.apply(changes.slice(start, start + PUBLISH_PAGE), now.getTime());
    this.#passesSinceFullPublish = full ? 0 : passes + 1;
  }

  /** Fires the alert of each firing finding that has none, resolves each link alert whose finding no longer fires. */
  async #allAlertChanges(): Promise<AlertChange[]> {
    const wanted = new Map(this.links.firing().map((finding) => {
      const alert = this.#conditionOf(finding);
      return [alert.fingerprint, alert];
    }));
    const firing = new Set(await this.alerts.firingFingerprints(LINK_RULES));
    const changes: AlertChange[] = [];
    for (const [fingerprint, alert] of wanted) if (!firing.has(fingerprint)) changes.push({ fire: alert });
    for (const fingerprint of firing) if (!wanted.has(fingerprint)) changes.push({ resolve: fingerprint });
    return changes;
  }

  /** The alert of each finding raised or resolved since the last publish, fired or resolved as the finding is now. */
  #unpublishedAlertChanges(): AlertChange[] {
    return [...this.#unpublished].map(([id, seen]): AlertChange => {
      const firing = this.links.firingFinding(id);
      return firing ? { fire: this.#conditionOf(firing) } : { resolve: this.#conditionOf(seen).fingerprint };
    });
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
    for (const finding of changes.raised) {
      this.logger.warn({ finding: finding.id }, `link finding raised: ${finding.message}`);
      this.#unpublished.set(finding.id, finding);
    }
    for (const finding of changes.resolved) {
      this.logger.info({ finding: finding.id }, `link finding resolved: ${finding.message}`);
      this.#unpublished.set(finding.id, finding);
    }
  }
}
