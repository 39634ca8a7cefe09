import {
  LINK_RESOURCE_KIND, LinkFindingType, isWorkingLinkState, LinkState, PartitionScope, ProbeOutcome,
  type LinkCell, type LinkCellCounts, type LinkCellState, type LinkFinding, type LinkKind, type LinkMatrixQuery,
  type LinkMatrixResponse, type LinkObservation, type LinkReportBody, type MeshGroupMatrix,
} from '@netfleet/shared/protocol/links';
import type { ExpectedMeshGroup, LinkTopology } from './expected-links.js';
import { addToPair, linkKey, withoutCovered, type LinkHealth, type PairGraph, type PartitionAnalysis } from './partitions.js';

/**
 * The fleet link matrix: per mesh group, every declared directed link with what its source
 * cluster last reported, and the findings that follow (missing on one side, asymmetric,
 * stale, broken, certificate expiring, peer identity changed, undeclared). A report from
 * one cluster touches only that cluster's row, the pairs it is part of and the targets it
 * probes, so an update costs O(group size), not O(links).
 * A cell its source's revision does not declare (a rollout half done) is no link at all:
 * not missing, in no count or finding, absent from the view, unless the source reports it
 * anyway (a leftover resource), which then shows as reported.
 */

export interface LinkMatrixOptions {
  /**
   * A peer certificate with fewer days left raises a finding.
   * @defaultValue 14
   */
  certificateWarningDays: number;
  /**
   * How long a peer identity change stays a finding after it was seen, in ms.
   * @defaultValue 86400000 (24 hours)
   */
  identityChangeWindowMs: number;
  /**
   * Most findings one cluster's links outside its mesh groups raise; beyond it they are one
   * aggregate finding, so a report listing hundreds of undeclared peers raises one alert.
   * @defaultValue 10
   */
  maxUndeclaredFindings: number;
  /** @defaultValue () => new Date() */
  now: () => Date;
}

export function defaultLinkMatrixOptions(): LinkMatrixOptions {
  return { certificateWarningDays: 14, identityChangeWindowMs: 86_400_000, maxUndeclaredFindings: 10, now: () => new Date() };
}

const ALL_CELL_STATES: LinkCellState[] = [...Object.values(LinkState), 'unknown'];

/** A cell's state; undefined for a link its source neither declares nor reports. */
type CellState = LinkCellState | undefined;

/** States with nothing to say: working, on the way, not reported yet, or no link. */
function isFine(state: CellState): boolean {
  return state === undefined || state === 'unknown' || isWorkingLinkState(state);
}

/** A link that cannot carry traffic to its peer right now: what partitions are made of. */
export function isReachabilityFailure(observation: LinkObservation | undefined): boolean {
  if (!observation) return false;
  if (observation.state === LinkState.Unreachable || observation.state === LinkState.Stale) return true;
  if (observation.state === LinkState.Degraded) return true;
  const outcome = observation.probe?.outcome;
  return outcome === ProbeOutcome.ConnectionFailed || outcome === ProbeOutcome.Timeout;
}

/** One mesh group's cells and findings. */
class GroupMatrix {
  readonly size: number;
  readonly index: Map<string, number>;
  /** Row-major n×n: what member `from` reported about member `to`. */
  readonly cells: (LinkObservation | undefined)[];
  /** Row-major n×n: 1 when the revision `from` runs declares the link to `to`. */
  readonly declared: Uint8Array;
  /** When each member's links were last reported; undefined until its first report. */
  readonly reportedAt: (string | undefined)[];
  readonly counts: LinkCellCounts;
  readonly findings = new Map<string, LinkFinding>();
  /** Finding ids per unordered pair (`min * size + max`). */
  readonly pairFindings = new Map<number, string[]>();
  /** Per target: reporter → days left on the target's certificate, when under the threshold. */
  readonly expiring: Map<number, number>[];
  /** Per target: reporter → description of an identity change it saw. */
  readonly identityChanges: Map<number, string>[];

  constructor(readonly group: ExpectedMeshGroup) {
    this.size = group.members.length;
    this.index = new Map(group.members.map((member, position) => [member, position]));
    this.cells = new Array(this.size * this.size).fill(undefined);
    this.declared = new Uint8Array(this.size * this.size);
    let declaredLinks = 0;
    group.members.forEach((from, row) => {
      const peers = group.declared.get(from);
      if (!peers) return;
      group.members.forEach((to, column) => {
        if (row === column || !peers.has(to)) return;
        this.declared[row * this.size + column] = 1;
        declaredLinks += 1;
      });
    });
    this.reportedAt = new Array(this.size).fill(undefined);
    this.counts = Object.fromEntries(ALL_CELL_STATES.map((state) => [state, 0])) as LinkCellCounts;
    this.counts.unknown = declaredLinks;
    this.expiring = Array.from({ length: this.size }, () => new Map());
    this.identityChanges = Array.from({ length: this.size }, () => new Map());
  }

  stateAt(from: number, to: number): CellState {
    const cell = from * this.size + to;
    const declared = this.declared[cell] === 1;
    if (this.reportedAt[from] === undefined) return declared ? 'unknown' : undefined;
    return this.cells[cell]?.state ?? (declared ? LinkState.Missing : undefined);
  }
}

export class LinkMatrix {
  readonly #options: LinkMatrixOptions;
  readonly #topology: LinkTopology;
  readonly #groups: GroupMatrix[];
  readonly #groupsOf = new Map<string, GroupMatrix[]>();
  /** Every cluster of the topology, by index, and the fleet-wide pair counts partitions read (pairs with links only). */
  readonly #clusters: string[];
  readonly #clusterIndex: Map<string, number>;
  readonly #pairTotal = new Map<number, number>();
  readonly #pairFailed = new Map<number, number>();
  /** Findings outside any group, per reporting cluster (bounded), and how many links they stand for. */
  readonly #undeclared = new Map<string, LinkFinding[]>();
  readonly #undeclaredLinks = new Map<string, number>();
  /** Every current finding by id, groups' and undeclared ones. */
  readonly #findings = new Map<string, LinkFinding>();
  /** Ids of findings added, changed or removed since {@link takeChanged} last ran. */
  #changed = new Set<string>();

  constructor(topology: LinkTopology, options: Partial<LinkMatrixOptions> = {}) {
    this.#options = { ...defaultLinkMatrixOptions(), ...options };
    this.#topology = topology;
    this.#groups = topology.groups.map((group) => new GroupMatrix(group));
    this.#clusters = [...new Set(this.#groups.flatMap((matrix) => matrix.group.members))].sort();
    this.#clusterIndex = new Map(this.#clusters.map((name, index) => [name, index]));
    for (const matrix of this.#groups) {
      for (const member of matrix.group.members) {
        this.#groupsOf.set(member, [...(this.#groupsOf.get(member) ?? []), matrix]);
      }
    }
  }

  /**
   * Replaces everything `cluster` reported before with this report. Returns whether the
   * input of partition analysis ({@link linkHealth}) changed: a first report, or a link
   * that started or stopped failing.
   */
  applyReport(cluster: string, body: LinkReportBody, receivedAt: Date): boolean {
    const byPeer = new Map<LinkKind, Map<string, LinkObservation>>();
    const placed = new Set<LinkObservation>();
    for (const observation of body.links) {
      const peer = this.#topology.clusterByDomain.get(observation.peerDomain);
      if (!peer) continue;
      let peers = byPeer.get(observation.kind);
      if (!peers) byPeer.set(observation.kind, (peers = new Map()));
      peers.set(peer, observation);
    }
    const at = receivedAt.toISOString();
    const identityNotBefore = this.#options.now().getTime() - this.#options.identityChangeWindowMs;
    let reachabilityChanged = false;
    for (const matrix of this.#groupsOf.get(cluster) ?? []) {
      const peers = byPeer.get(matrix.group.kind);
      const from = matrix.index.get(cluster)!;
      for (const [peer, observation] of peers ?? []) {
        if (matrix.index.has(peer) && peer !== cluster) placed.add(observation);
      }
      if (this.#updateRow(matrix, from, peers, at, identityNotBefore)) reachabilityChanged = true;
    }
    // Links outside the sender's mesh groups stay out of the matrix; they are counted and named in bounded findings.
    const outside = body.links.filter((observation) => !placed.has(observation));
    this.#undeclaredLinks.set(cluster, outside.length);
    for (const finding of this.#undeclared.get(cluster) ?? []) this.#delete(undefined, finding.id);
    const undeclared = outside.length > this.#options.maxUndeclaredFindings
      ? [undeclaredAggregate(cluster, outside)]
      : outside.map((observation) => undeclaredFinding(cluster, observation));
    this.#undeclared.set(cluster, undeclared);
    for (const finding of undeclared) this.#set(undefined, finding);
    return reachabilityChanged;
  }

  /** Replaces one row; true when the row is new or a link's failure flag flipped. */
  #updateRow(matrix: GroupMatrix, from: number, peers: Map<string, LinkObservation> | undefined, at: string, identityNotBefore: number): boolean {
    const { size, cells, counts, group } = matrix;
    const wasReported = matrix.reportedAt[from] !== undefined;
    let reachabilityChanged = !wasReported;
    const previous = cells.slice(from * size, from * size + size);
    const oldStates = previous.map((_, to) => matrix.stateAt(from, to));
    matrix.reportedAt[from] = at;
    const clusters = this.#clusters.length;
    const fromCluster = this.#clusterIndex.get(group.members[from]!)!;
    for (let to = 0; to < size; to += 1) {
      if (to === from) continue;
      const observation = peers?.get(group.members[to]!);
      const oldState = oldStates[to];
      cells[from * size + to] = observation;
      const newState = matrix.stateAt(from, to);
      // Pairs count the links of reported rows: declared ones, and undeclared ones reported anyway.
      const pair = fromCluster * clusters + this.#clusterIndex.get(group.members[to]!)!;
      const countedBefore = wasReported && oldState !== undefined;
      if (countedBefore !== (newState !== undefined)) {
        addToPair(this.#pairTotal, pair, countedBefore ? -1 : 1);
        reachabilityChanged = true;
      }
      const failedBefore = isReachabilityFailure(previous[to]);
      const failedNow = isReachabilityFailure(observation);
      if (failedBefore !== failedNow) {
        addToPair(this.#pairFailed, pair, failedNow ? 1 : -1);
        reachabilityChanged = true;
      }
      if (oldState !== undefined) counts[oldState] -= 1;
      if (newState !== undefined) counts[newState] += 1;
      this.#updatePair(matrix, from, to);
      this.#updateTarget(matrix, from, to, observation, identityNotBefore);
    }
    return reachabilityChanged;
  }

  /** Recomputes the findings of the pair {a, b}. */
  #updatePair(matrix: GroupMatrix, a: number, b: number): void {
    const pair = Math.min(a, b) * matrix.size + Math.max(a, b);
    const before = matrix.pairFindings.get(pair) ?? [];
    const found = pairFindings(matrix, a, b);
    // Most updates find what was there: nothing for a working pair.
    if (found.length === 0 && before.length === 0) return;
    for (const id of before) this.#delete(matrix, id);
    if (found.length === 0) {
      matrix.pairFindings.delete(pair);
      return;
    }
    matrix.pairFindings.set(pair, found.map((finding) => finding.id));
    for (const finding of found) this.#set(matrix, finding);
  }

  /** Tracks what `from` saw of `to`'s endpoint and refreshes `to`'s target findings. */
  #updateTarget(matrix: GroupMatrix, from: number, to: number, observation: LinkObservation | undefined, identityNotBefore: number): void {
    const probe = observation?.probe;
    const days = probe?.certificateDaysLeft;
    const expiring = days !== undefined && days < this.#options.certificateWarningDays;
    const expiringChanged = setOrDelete(matrix.expiring[to]!, from, expiring ? days : undefined);
    const change = observation ? identityChange(observation, identityNotBefore) : undefined;
    const identityChanged = setOrDelete(matrix.identityChanges[to]!, from, change);
    if (expiringChanged) this.#refreshCertificateFinding(matrix, to);
    if (identityChanged) this.#refreshIdentityFinding(matrix, to);
  }

  #refreshCertificateFinding(matrix: GroupMatrix, target: number): void {
    const name = matrix.group.members[target]!;
    const id = `${LinkFindingType.CertificateExpiring}:${matrix.group.name}:${name}`;
    const seen = matrix.expiring[target]!;
    if (seen.size === 0) {
      this.#delete(matrix, id);
      return;
    }
    const days = Math.min(...seen.values());
    const reporters = [...seen.keys()].map((index) => matrix.group.members[index]!).sort();
    const host = `istio.${this.#topology.domainOf.get(name) ?? name}`;
    this.#set(matrix, {
      id,
      type: LinkFindingType.CertificateExpiring,
      group: matrix.group.name,
      clusters: [name],
      links: reporters.map((reporter) => ({ from: reporter, to: name })),
      message: `certificate of ${host} (${name}) ${days < 0 ? 'has expired' : `expires in ${days} day${days === 1 ? '' : 's'}`}, seen from ${plural(reporters.length, 'cluster')}`,
    });
  }

  #refreshIdentityFinding(matrix: GroupMatrix, target: number): void {
    const name = matrix.group.members[target]!;
    const id = `${LinkFindingType.PeerIdentityChanged}:${matrix.group.name}:${name}`;
    const seen = matrix.identityChanges[target]!;
    if (seen.size === 0) {
      this.#delete(matrix, id);
      return;
    }
    const reporters = [...seen.keys()].map((index) => matrix.group.members[index]!).sort();
    this.#set(matrix, {
      id,
      type: LinkFindingType.PeerIdentityChanged,
      group: matrix.group.name,
      clusters: [name],
      links: reporters.map((reporter) => ({ from: reporter, to: name })),
      message: `${name} ${[...new Set(seen.values())].sort().join('; ')}, seen from ${plural(reporters.length, 'cluster')}`,
    });
  }

  /** Adds or replaces a finding of `matrix` (undefined: an undeclared link's). */
  #set(matrix: GroupMatrix | undefined, finding: LinkFinding): void {
    matrix?.findings.set(finding.id, finding);
    this.#findings.set(finding.id, finding);
    this.#changed.add(finding.id);
  }

  #delete(matrix: GroupMatrix | undefined, id: string): void {
    if (!this.#findings.delete(id)) return;
    matrix?.findings.delete(id);
    this.#changed.add(id);
  }

  /** The current finding with this id, if any. */
  finding(id: string): LinkFinding | undefined {
    return this.#findings.get(id);
  }

  /** The ids of the findings added, changed or removed since the last call. */
  takeChanged(): ReadonlySet<string> {
    const changed = this.#changed;
    this.#changed = new Set();
    return changed;
  }

  /** Links the clusters report outside their mesh groups (left out of the matrix). */
  undeclaredLinkCount(): number {
    let count = 0;
    for (const links of this.#undeclaredLinks.values()) count += links;
    return count;
  }

  /** Every current finding. */
  findings(): LinkFinding[] {
    return [...this.#findings.values()];
  }

  /** The pair counts partition analysis reads, kept up to date report by report. */
  pairGraph(): PairGraph {
    const names = this.#clusters;
    return {
      names,
      total: this.#pairTotal,
      failed: this.#pairFailed,
      keysOf: (pair) => {
        const from = names[Math.floor(pair / names.length)]!;
        const to = names[pair % names.length]!;
        return (this.#groupsOf.get(from) ?? [])
          .filter((matrix) => {
            const row = matrix.index.get(from)!;
            const column = matrix.index.get(to);
            return column !== undefined && matrix.reportedAt[row] !== undefined && matrix.stateAt(row, column) !== undefined;
          })
          .map((matrix) => linkKey(matrix.group.name, from, to));
      },
    };
  }

  /** Every link whose source reported, as a list (the pair graph, link by link). */
  *linkHealth(): Generator<LinkHealth> {
    for (const matrix of this.#groups) {
      const { size, cells, group } = matrix;
      for (let from = 0; from < size; from += 1) {
        if (matrix.reportedAt[from] === undefined) continue;
        for (let to = 0; to < size; to += 1) {
          if (to === from || matrix.stateAt(from, to) === undefined) continue;
          yield { group: group.name, from: group.members[from]!, to: group.members[to]!, failed: isReachabilityFailure(cells[from * size + to]) };
        }
      }
    }
  }

  /** The API view, filtered; per-link findings a partition explains are left out. */
  view(query: LinkMatrixQuery = {}, partitions?: PartitionAnalysis): LinkMatrixResponse {
    const covered = partitions?.covered ?? new Set<string>();
    const regionOf = this.#topology.regionOf;
    const inRegion = (cluster: string) => !query.region || regionOf.get(cluster) === query.region;
    const groups: MeshGroupMatrix[] = [];
    for (const matrix of this.#groups) {
      if (query.group && matrix.group.name !== query.group) continue;
      const members = matrix.group.members;
      if (query.region && !members.some(inRegion)) continue;
      groups.push(this.#groupView(matrix, query, inRegion, covered));
    }
    const outside = [...this.#undeclared.values()].flat()
      .filter((finding) => !query.group && finding.clusters.some(inRegion))
      .sort((a, b) => a.id.localeCompare(b.id));
    // A partition concerns a region when it names the region, one of its clusters, or a peer in it.
    const partitionFindings = (partitions?.findings ?? []).filter((finding) => !query.region || finding.subject === query.region
      || (finding.scope === PartitionScope.Cluster && inRegion(finding.subject)) || finding.peers.some(inRegion));
    return { groups, partitions: partitionFindings, findings: outside };
  }

  #groupView(matrix: GroupMatrix, query: LinkMatrixQuery, inRegion: (cluster: string) => boolean, covered: ReadonlySet<string>): MeshGroupMatrix {
    const { size, cells, group } = matrix;
    const filtered = Boolean(query.region || query.state);
    const counts = filtered ? (Object.fromEntries(ALL_CELL_STATES.map((state) => [state, 0])) as LinkCellCounts) : { ...matrix.counts };
    const out: LinkCell[] = [];
    for (let from = 0; from < size; from += 1) {
      const fromName = group.members[from]!;
      for (let to = 0; to < size; to += 1) {
        if (to === from) continue;
        const toName = group.members[to]!;
        if (query.region && !inRegion(fromName) && !inRegion(toName)) continue;
        const state = matrix.stateAt(from, to);
        if (state === undefined || (query.state && state !== query.state)) continue;
        if (filtered) counts[state] += 1;
        out.push(cellView(fromName, toName, state, cells[from * size + to]));
      }
    }
    const findings = withoutCovered([...matrix.findings.values()], covered)
      .filter((finding) => !query.region || finding.clusters.some(inRegion))
      .sort((a, b) => a.id.localeCompare(b.id));
    return {
      group: group.name,
      kind: group.kind,
      clusters: group.members.flatMap((name, position) => (!query.region || inRegion(name)
        ? [{ name, region: this.#topology.regionOf.get(name) ?? '', reportedAt: matrix.reportedAt[position] ?? null }]
        : [])),
      cells: out,
      counts,
      findings,
    };
  }
}

function cellView(from: string, to: string, state: LinkCellState, observation: LinkObservation | undefined): LinkCell {
  const cell: LinkCell = { from, to, state };
  if (!observation) return cell;
  if (!observation.managed) cell.managed = false;
  // A healthy link's reason and message say nothing more than its state.
  if (state !== LinkState.Healthy) {
    cell.reason = observation.reason;
    cell.message = observation.message;
  }
  const probe = observation.probe;
  if (probe) {
    cell.probeOutcome = probe.outcome;
    if (probe.latencyMs !== undefined) cell.latencyMs = probe.latencyMs;
    if (probe.certificateDaysLeft !== undefined) cell.certificateDaysLeft = probe.certificateDaysLeft;
  }
  return cell;
}

/** Findings about the pair {a, b}, judged from both directions. */
function pairFindings(matrix: GroupMatrix, a: number, b: number): LinkFinding[] {
  const { group, size, cells } = matrix;
  const [first, second] = a < b ? [a, b] : [b, a];
  const names = [group.members[first]!, group.members[second]!] as const;
  const states = [matrix.stateAt(first, second), matrix.stateAt(second, first)] as const;
  const observations = [cells[first * size + second], cells[second * size + first]] as const;
  const both = [{ from: names[0], to: names[1] }, { from: names[1], to: names[0] }];
  const resource = LINK_RESOURCE_KIND[group.kind];
  const base = (type: LinkFindingType, suffix: string) => ({ id: `${type}:${group.name}:${suffix}`, type, group: group.name });
  // One identity per broken direction, whatever the finding says about it: when the other
  // direction changes, an asymmetric link becomes a broken one without a new alert.
  const broken = (type: LinkFindingType, from: string, to: string) => ({ id: `link:${group.name}:${from}:${to}`, type, group: group.name });

  if (states[0] === LinkState.Missing && states[1] === LinkState.Missing) {
    return [{
      ...base(LinkFindingType.MissingOnBothSides, `${names[0]}:${names[1]}`),
      clusters: [...names],
      links: both,
      message: `the ${group.kind} link between ${names[0]} and ${names[1]} is declared, but neither has its ${resource}`,
    }];
  }
  for (const side of [0, 1] as const) {
    const other = side === 0 ? 1 : 0;
    // The other side's resource exists: its cell is reported, not missing.
    if (states[side] === LinkState.Missing && states[other] !== 'unknown' && states[other] !== undefined) {
      return [{
        ...base(LinkFindingType.MissingOnOneSide, `${names[side]}:${names[other]}`),
        clusters: [names[side], names[other]],
        links: both,
        message: `${names[other]} has its ${resource} for ${names[side]}, but ${names[side]} has none for ${names[other]}`,
      }];
    }
  }
  for (const side of [0, 1] as const) {
    const other = side === 0 ? 1 : 0;
    if (states[side] === LinkState.Healthy && !isFine(states[other])) {
      return [{
        ...broken(LinkFindingType.Asymmetric, names[other], names[side]),
        clusters: [...names],
        links: both,
        message: `${names[side]}→${names[other]} is healthy but ${names[other]}→${names[side]} is ${states[other]}: ${observations[other]?.message ?? ''}`,
      }];
    }
  }
  const found: LinkFinding[] = [];
  for (const side of [0, 1] as const) {
    const other = side === 0 ? 1 : 0;
    const state = states[side];
    if (isFine(state)) continue;
    if (state === LinkState.Missing) {
      // The other side has not reported yet, or its revision declares no link back:
      // only this side is known to lack its resource.
      found.push({
        ...base(LinkFindingType.MissingOnOneSide, `${names[side]}:${names[other]}`),
        clusters: [names[side], names[other]],
        links: [{ from: names[side], to: names[other] }],
        message: `${names[side]} has no ${resource} for ${names[other]} although mesh group ${group.name} declares it`,
      });
      continue;
    }
    const type = state === LinkState.Stale ? LinkFindingType.Stale : LinkFindingType.LinkBroken;
    found.push({
      ...broken(type, names[side], names[other]),
      clusters: [names[side], names[other]],
      links: [{ from: names[side], to: names[other] }],
      message: `${names[side]}→${names[other]} is ${state}: ${observations[side]?.message ?? ''}`,
    });
  }
  return found;
}

/** What an observation says about its peer's identity changing, if it is recent enough. */
function identityChange(observation: LinkObservation, notBefore: number): string | undefined {
  const probe = observation.probe;
  if (probe?.previousClusterUUID && probe.clusterUUIDChangedAt && Date.parse(probe.clusterUUIDChangedAt) >= notBefore) {
    return `was rebuilt: clusterUUID changed from ${probe.previousClusterUUID} to ${probe.clusterUUID ?? '?'}`;
  }
  if (probe?.clusterUUID && observation.cachedClusterUUID && probe.clusterUUID !== observation.cachedClusterUUID) {
    return `serves clusterUUID ${probe.clusterUUID} but DKP still trusts ${observation.cachedClusterUUID}`;
  }
  return undefined;
}

function undeclaredFinding(cluster: string, observation: LinkObservation): LinkFinding {
  const resource = LINK_RESOURCE_KIND[observation.kind];
  return {
    id: `${LinkFindingType.Undeclared}:${cluster}:${observation.kind}:${observation.name}`,
    type: LinkFindingType.Undeclared,
    group: '',
    clusters: [cluster],
    links: [],
    message: `${cluster} has ${resource} ${observation.name} (${observation.metadataEndpoint || 'no endpoint'}) that no mesh group declares${observation.managed ? '' : ' (not managed by netfleet)'}`,
  };
}

/** One finding for all of a cluster's undeclared links, naming the first few. */
function undeclaredAggregate(cluster: string, observations: readonly LinkObservation[]): LinkFinding {
  const named = observations.slice(0, 3).map((observation) => `${LINK_RESOURCE_KIND[observation.kind]} ${observation.name}`);
  return {
    id: `${LinkFindingType.Undeclared}:${cluster}`,
    type: LinkFindingType.Undeclared,
    group: '',
    clusters: [cluster],
    links: [],
    message: `${cluster} has ${observations.length} links that no mesh group declares: ${named.join(', ')} and ${observations.length - named.length} more`,
  };
}

/** Sets or deletes a map entry; true when the map changed. */
function setOrDelete<V>(map: Map<number, V>, key: number, value: V | undefined): boolean {
  if (value === undefined) return map.delete(key);
  if (map.get(key) === value) return false;
  map.set(key, value);
  return true;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

