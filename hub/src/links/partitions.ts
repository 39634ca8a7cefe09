import {
  LinkFindingType, PartitionDirection, PartitionScope,
  type LinkFinding, type PartitionFinding,
} from '@netfleet/shared/protocol/links';

/**
 * Partition-aware analysis: when the links into (or out of) one region or one cluster fail
 * from several peers, the likely cause is that region or cluster, not each link. One
 * finding names it ("region eu unreachable from 4 clusters", "cluster us-2 cannot reach any
 * peer") and covers its links, so they raise no finding of their own. Findings exist only
 * while the failures do: recomputing after the links recover drops them.
 */

/** One declared link and whether it currently fails to connect. */
export interface LinkHealth {
  group: string;
  from: string;
  to: string;
  /** The link cannot connect (unreachable, stale, probe refused or timed out). */
  failed: boolean;
}

export interface PartitionOptions {
  /**
   * Fewest peers on the other side of a failure for it to be named as a partition.
   * @defaultValue 2
   */
  minPeers: number;
  /**
   * Smallest share of the subject's peers that must be cut off (0..1].
   * @defaultValue 0.5
   */
  minShare: number;
}

export function defaultPartitionOptions(): PartitionOptions {
  return { minPeers: 2, minShare: 0.5 };
}

export interface PartitionAnalysis {
  findings: PartitionFinding[];
  /** Keys ({@link linkKey}) of the failed links the findings stand for. */
  covered: ReadonlySet<string>;
}

export function linkKey(group: string, from: string, to: string): string {
  return `${group}|${from}|${to}`;
}

/**
 * Declared links aggregated per ordered cluster pair across mesh groups, by pair number
 * `from * names.length + to` (exact in a double below 9·10^7 clusters). Only pairs with
 * links are present, so the graph grows with the links, not with the square of the
 * clusters. The hub's matrix keeps one up to date report by report;
 * {@link analysePartitions} builds one from a list of links.
 */
export interface PairGraph {
  /** Cluster names by index. */
  names: readonly string[];
  /** Links per pair (only those whose source cluster has reported); a pair without any is absent. */
  total: ReadonlyMap<number, number>;
  /** Failing links per pair; a pair without any is absent. */
  failed: ReadonlyMap<number, number>;
  /** The keys ({@link linkKey}) of a pair's links. */
  keysOf(pair: number): string[];
}

export function analysePartitions(
  links: Iterable<LinkHealth>,
  regionOf: ReadonlyMap<string, string>,
  options: Partial<PartitionOptions> = {},
): PartitionAnalysis {
  return analysePairGraph(pairGraphOf(links), regionOf, options);
}

export function analysePairGraph(
  input: PairGraph,
  regionOf: ReadonlyMap<string, string>,
  options: Partial<PartitionOptions> = {},
): PartitionAnalysis {
  const settings = { ...defaultPartitionOptions(), ...options };
  // The search below relies on covering links never making a side cut (see there).
  if (!(settings.minPeers >= 1 && settings.minShare > 0 && settings.minShare <= 1)) {
    throw new RangeError(`partition options: minPeers must be at least 1 and minShare within (0, 1], not ${settings.minPeers} and ${settings.minShare}`);
  }
  const graph = judgingGraph(input, regionOf, settings);

  // The same failed links can be explained from either end ("eu unreachable from us" or
  // "us cannot reach eu", or one cluster of eu after another). Take the explanation that
  // covers the most failed links, then look again at what it leaves uncovered. Covering
  // links only lowers a judgement (a peer with a working link keeps it, a peer whose links
  // are all covered was a failed one, so no side becomes cut and the cut ones lose links
  // and share; for minPeers ≥ 1 and minShare ≤ 1): a scope whose
  // judgement was never a cut is dropped, and a judgement made before a cover is an upper
  // bound on its links, so only those tied with the best for links need judging again.
  const findings: PartitionFinding[] = [];
  const covered = new Set<string>();
  const ranked: Candidate[] = [];
  for (const scope of graph.scopes) {
    const candidate = judgeScope(scope, graph, settings);
    if (candidate) ranked.push(candidate);
  }
  ranked.sort(compareCandidates);
  const rankedOf = new Map(ranked.map((candidate) => [candidate.scope, candidate]));
  const stale = new Set<Scope>();
  for (;;) {
    let contenders = staleContenders(ranked, rankedOf, stale);
    while (contenders.length > 0) {
      for (const candidate of contenders) {
        ranked.splice(ranked.indexOf(candidate), 1);
        rankedOf.delete(candidate.scope);
        const again = judgeScope(candidate.scope, graph, settings);
        if (!again) continue;
        insertRanked(ranked, again);
        rankedOf.set(again.scope, again);
      }
      contenders = staleContenders(ranked, rankedOf, stale);
    }
    const best = ranked.shift();
    if (!best) break;
    rankedOf.delete(best.scope);
    for (const pair of best.pairs) {
      graph.covered.add(pair);
      for (const key of input.keysOf(pair)) covered.add(key);
      // A scope is judged on the pairs with an end in it: only those scopes change.
      for (const end of endsOf(pair, graph.size)) for (const scope of scopesHolding(graph, end)) stale.add(scope);
    }
    findings.push(best.finding);
  }
  findings.sort((a, b) => a.id.localeCompare(b.id));
  return { findings, covered };
}

/**
 * Takes from `stale` the judgements with as many links as the best, the ones that might
 * still win, and the scopes no longer ranked; the others stay stale.
 */
function staleContenders(ranked: readonly Candidate[], rankedOf: ReadonlyMap<Scope, Candidate>, stale: Set<Scope>): Candidate[] {
  const contenders: Candidate[] = [];
  for (const scope of stale) {
    const candidate = rankedOf.get(scope);
    if (candidate && candidate.links < ranked[0]!.links) continue;
    stale.delete(scope);
    if (candidate) contenders.push(candidate);
  }
  return contenders;
}

/** Inserts a judgement where {@link compareCandidates} ranks it. */
function insertRanked(ranked: Candidate[], candidate: Candidate): void {
  let low = 0;
  let high = ranked.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareCandidates(ranked[middle]!, candidate) <= 0) low = middle + 1;
    else high = middle;
  }
  ranked.splice(low, 0, candidate);
}

/** Adds `delta` to a pair's count, dropping the pair when none is left. */
export function addToPair(counts: Map<number, number>, pair: number, delta: number): void {
  const count = (counts.get(pair) ?? 0) + delta;
  if (count === 0) counts.delete(pair);
  else counts.set(pair, count);
}

function pairGraphOf(links: Iterable<LinkHealth>): PairGraph {
  const index = new Map<string, number>();
  const indexOf = (name: string) => {
    let found = index.get(name);
    if (found === undefined) index.set(name, (found = index.size));
    return found;
  };
  const collected: { pair: [number, number]; link: LinkHealth }[] = [];
  for (const link of links) collected.push({ pair: [indexOf(link.from), indexOf(link.to)], link });
  const size = index.size;
  const total = new Map<number, number>();
  const failed = new Map<number, number>();
  const keys = new Map<number, string[]>();
  for (const { pair: [from, to], link } of collected) {
    const pair = from * size + to;
    addToPair(total, pair, 1);
    if (link.failed) addToPair(failed, pair, 1);
    pushTo(keys, pair, linkKey(link.group, link.from, link.to));
  }
  return { names: [...index.keys()], total, failed, keysOf: (pair) => keys.get(pair) ?? [] };
}

/** Appends a value to the list kept under `key`. */
function pushTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

type Direction = 'inbound' | 'outbound';

/**
 * What judging needs, for the scopes that may be cut only: which pairs fail outright, which
 * are covered already, and each such scope's border. Built in one pass over the pairs, so an
 * analysis of a large fleet costs its links, and judging costs the scopes with failures.
 */
interface Graph {
  names: readonly string[];
  size: number;
  /** Links per pair. */
  total: ReadonlyMap<number, number>;
  /** Pairs every link of which fails (one working group proves the path). */
  failedPairs: Set<number>;
  /** Pairs a finding already stands for. */
  covered: Set<number>;
  /** The scopes that may be cut: regions by name, then clusters by index. */
  scopes: Scope[];
  /** Each cluster's region scope among them, by cluster. */
  regionScopeOf: (Scope | undefined)[];
  /** Each cluster's own scope among them, by cluster. */
  clusterScopeOf: Map<number, Scope>;
}

/** A pair's links not covered by a finding yet (0 for a pair without links). */
function uncoveredLinks(graph: Graph, pair: number): number {
  return graph.covered.has(pair) ? 0 : graph.total.get(pair) ?? 0;
}

/**
 * The scopes: every region of two or more linked clusters that has a failed pair (one is
 * enough for a region to be cut), then every cluster with `minPeers` failed pairs in one
 * direction. Scopes with fewer can never be cut, so their borders are never gathered.
 */
function judgingGraph(input: PairGraph, regionOf: ReadonlyMap<string, string>, options: PartitionOptions): Graph {
  const { names, total } = input;
  const size = names.length;
  const failedPairs = new Set<number>();
  const failedOut = new Map<number, number>();
  const failedIn = new Map<number, number>();
  for (const [pair, failed] of input.failed) {
    if (failed !== total.get(pair)) continue;
    failedPairs.add(pair);
    const [from, to] = endsOf(pair, size);
    failedOut.set(from, (failedOut.get(from) ?? 0) + 1);
    failedIn.set(to, (failedIn.get(to) ?? 0) + 1);
  }
  const regionNames = [...new Set(names.map((name) => regionOf.get(name) ?? '').filter((region) => region !== ''))].sort((a, b) => a.localeCompare(b));
  const regionIndex = new Map(regionNames.map((region, index) => [region, index]));
  const regionAt = Int32Array.from(names, (name) => regionIndex.get(regionOf.get(name) ?? '') ?? -1);

  const linked = new Uint8Array(size);
  for (const pair of total.keys()) for (const end of endsOf(pair, size)) linked[end] = 1;
  const regionMembers = regionNames.map((): number[] => []);
  const regionFailing = new Uint8Array(regionNames.length);
  for (let index = 0; index < size; index += 1) {
    const region = regionAt[index]!;
    if (!linked[index] || region < 0) continue;
    regionMembers[region]!.push(index);
    if (failedOut.has(index) || failedIn.has(index)) regionFailing[region] = 1;
  }
  const regionScopeOf: (Scope | undefined)[] = new Array(size).fill(undefined);
  const regionScopes = regionNames.flatMap((subject, region) => {
    const members = regionMembers[region]!;
    if (members.length < 2 || !regionFailing[region]) return [];
    const scope: Scope = { scope: PartitionScope.Region, subject, border: { inbound: [], outbound: [] } };
    for (const member of members) regionScopeOf[member] = scope;
    return [scope];
  });
  const clusterScopeOf = new Map<number, Scope>();
  for (let index = 0; index < size; index += 1) {
    if (!linked[index] || Math.max(failedOut.get(index) ?? 0, failedIn.get(index) ?? 0) < options.minPeers) continue;
    clusterScopeOf.set(index, { scope: PartitionScope.Cluster, subject: names[index]!, border: { inbound: [], outbound: [] } });
  }

  // Each scope's border: the pairs with one end inside it, by direction.
  for (const pair of total.keys()) {
    const [from, to] = endsOf(pair, size);
    const fromRegion = regionScopeOf[from];
    const toRegion = regionScopeOf[to];
    if (fromRegion !== toRegion) {
      fromRegion?.border.outbound.push(pair);
      toRegion?.border.inbound.push(pair);
    }
    if (from === to) continue;
    clusterScopeOf.get(from)?.border.outbound.push(pair);
    clusterScopeOf.get(to)?.border.inbound.push(pair);
  }
  return {
    names, size, total, failedPairs, covered: new Set(), regionScopeOf, clusterScopeOf,
    scopes: [...regionScopes, ...[...clusterScopeOf].sort(([a], [b]) => a - b).map(([, scope]) => scope)],
  };
}

/** The source and target cluster of a pair. */
function endsOf(pair: number, size: number): [number, number] {
  return [Math.floor(pair / size), pair % size];
}

interface Scope {
  scope: PartitionScope;
  subject: string;
  /** The pairs with one end in the scope, by direction (inbound: the other end outside). */
  border: Record<Direction, number[]>;
}

/** The scopes a cluster is a member of. */
function scopesHolding(graph: Graph, cluster: number): Scope[] {
  return [graph.regionScopeOf[cluster], graph.clusterScopeOf.get(cluster)].filter((scope): scope is Scope => scope !== undefined);
}

interface Candidate {
  scope: Scope;
  finding: PartitionFinding;
  /** The failed pairs it would cover. */
  pairs: number[];
  links: number;
  /** Share of the subject's peers cut off. */
  share: number;
}

/** Inbound first, then isolated, then outbound: a strict order, so which explanation wins never depends on the order scopes are judged in. */
export const DIRECTION_RANK: Readonly<Record<PartitionDirection, number>> = {
  [PartitionDirection.Inbound]: 0, [PartitionDirection.Isolated]: 1, [PartitionDirection.Outbound]: 2,
};

/** Most links first; then the larger share, regions before clusters, by direction ({@link DIRECTION_RANK}), by name. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return b.links - a.links
    || b.share - a.share
    || (a.finding.scope === b.finding.scope ? 0 : a.finding.scope === PartitionScope.Region ? -1 : 1)
    || DIRECTION_RANK[a.finding.direction] - DIRECTION_RANK[b.finding.direction]
    || a.finding.subject.localeCompare(b.finding.subject);
}

/** The scope as cut off, when enough peers fail to reach it or be reached by it. */
function judgeScope(scope: Scope, graph: Graph, options: PartitionOptions): Candidate | undefined {
  const inbound = crossing(graph, scope.border.inbound, 'inbound');
  const outbound = crossing(graph, scope.border.outbound, 'outbound');
  const inboundCut = isCut(inbound, options);
  const outboundCut = isCut(outbound, options);
  if (!inboundCut && !outboundCut) return undefined;

  const pairs: number[] = [];
  const peers = new Set<string>();
  let links = 0;
  let share = 0;
  for (const [cut, side] of [[inboundCut, inbound], [outboundCut, outbound]] as const) {
    if (!cut) continue;
    for (const pair of side.failedPairs) pairs.push(pair);
    links += side.failedLinks;
    for (const peer of side.failedPeers) peers.add(graph.names[peer]!);
    share = Math.max(share, side.failedPeers.length / side.peers);
  }
  const { scope: kind, subject } = scope;
  const direction = inboundCut && outboundCut ? PartitionDirection.Isolated : inboundCut ? PartitionDirection.Inbound : PartitionDirection.Outbound;
  return {
    scope,
    pairs,
    links,
    share,
    finding: {
      id: `partition:${kind}:${subject}:${direction}`,
      scope: kind,
      subject,
      direction,
      peers: [...peers].sort(),
      linkCount: links,
      message: describe(kind, subject, direction, inbound, outbound),
    },
  };
}

interface Crossing {
  /** Peers outside the scope with uncovered links across its border. */
  peers: number;
  /** Peers all of whose uncovered links across the border fail. */
  failedPeers: number[];
  failedPairs: number[];
  failedLinks: number;
}

/** The uncovered links crossing a scope's border (its pairs in one direction), judged per outside peer. */
function crossing(graph: Graph, border: readonly number[], direction: Direction): Crossing {
  // The uncovered pairs across the border, grouped by the peer outside.
  const pairsByPeer = new Map<number, number[]>();
  for (const pair of border) {
    const [from, to] = endsOf(pair, graph.size);
    if (uncoveredLinks(graph, pair) > 0) pushTo(pairsByPeer, direction === 'inbound' ? from : to, pair);
  }
  const result: Crossing = { peers: pairsByPeer.size, failedPeers: [], failedPairs: [], failedLinks: 0 };
  for (const [peer, pairs] of pairsByPeer) {
    if (!pairs.every((pair) => graph.failedPairs.has(pair))) continue;
    result.failedPeers.push(peer);
    for (const pair of pairs) {
      result.failedPairs.push(pair);
      result.failedLinks += uncoveredLinks(graph, pair);
    }
  }
  return result;
}

function isCut(side: Crossing, options: PartitionOptions): boolean {
  const failed = side.failedPeers.length;
  return failed >= options.minPeers && failed >= options.minShare * side.peers;
}

function describe(scope: PartitionScope, subject: string, direction: PartitionDirection, inbound: Crossing, outbound: Crossing): string {
  const clusters = (count: number) => `${count} cluster${count === 1 ? '' : 's'}`;
  const failedOut = outbound.failedPeers.length;
  const reach = failedOut === outbound.peers
    ? (scope === PartitionScope.Cluster ? 'cannot reach any peer' : `cannot reach ${clusters(outbound.peers)}`)
    : `cannot reach ${failedOut} of ${outbound.peers} peers`;
  switch (direction) {
    case PartitionDirection.Inbound:
      return `${scope} ${subject} unreachable from ${clusters(inbound.failedPeers.length)}`;
    case PartitionDirection.Outbound:
      return `${scope} ${subject} ${reach}`;
    case PartitionDirection.Isolated:
      return `${scope} ${subject} isolated: ${reach} and unreachable from ${clusters(inbound.failedPeers.length)}`;
  }
}

/** Finding types a partition explains when their links are covered. */
const REACHABILITY_FINDINGS: ReadonlySet<LinkFindingType> = new Set([
  LinkFindingType.Stale, LinkFindingType.LinkBroken, LinkFindingType.Asymmetric,
]);

/** Drops the per-link reachability findings a partition finding already stands for. */
export function withoutCovered(findings: readonly LinkFinding[], covered: ReadonlySet<string>): LinkFinding[] {
  if (covered.size === 0) return [...findings];
  return findings.filter((finding) => !isCovered(finding, covered));
}

/** Whether a partition finding explains this finding: a failed link it stands for. */
export function isCovered(finding: LinkFinding, covered: ReadonlySet<string>): boolean {
  return covered.size > 0 && REACHABILITY_FINDINGS.has(finding.type)
    && finding.links.some((link) => covered.has(linkKey(finding.group, link.from, link.to)));
}
