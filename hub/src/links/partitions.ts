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
  const graph = judgingGraph(input);
  const scopes = scopesOf(graph, regionOf).filter((scope) => mayBeCut(scope, graph, settings));
  const scopesHolding = scopesByCluster(scopes);

  // The same failed links can be explained from either end ("eu unreachable from us" or
  // "us cannot reach eu", or one cluster of eu after another). Take the explanation that
  // covers the most failed links, then look again at what it leaves uncovered.
  const findings: PartitionFinding[] = [];
  const covered = new Set<string>();
  const judged = new Map<Scope, Candidate | undefined>();
  const stale = new Set(scopes);
  for (;;) {
    let best: Candidate | undefined;
    for (const scope of scopes) {
      if (stale.has(scope) && mayStillWin(scope, judged, best)) {
        judged.set(scope, judgeScope(scope, graph, settings));
        stale.delete(scope);
      }
      const candidate = judged.get(scope);
      if (candidate && (!best || compareCandidates(candidate, best) < 0)) best = candidate;
    }
    if (!best) break;
    for (const pair of best.pairs) {
      graph.uncovered.delete(pair);
      for (const key of input.keysOf(pair)) covered.add(key);
      // A scope is judged on the pairs with an end among its members: only those scopes change.
      for (const end of endsOf(pair, graph.size)) for (const scope of scopesHolding.get(end) ?? []) stale.add(scope);
    }
    scopes.splice(scopes.indexOf(best.scope), 1);
    findings.push(best.finding);
  }
  findings.sort((a, b) => a.id.localeCompare(b.id));
  return { findings, covered };
}

/**
 * Whether a stale scope must be judged again in a round whose best so far is `best`.
 * Covering failed pairs only lowers a judgement: a peer with a working link keeps it, so
 * no side becomes cut, and the cut ones lose links (for minShare ≤ 1 or minPeers ≥ 1).
 * A judgement with fewer links than the best, or none, cannot win now.
 */
function mayStillWin(scope: Scope, judged: ReadonlyMap<Scope, Candidate | undefined>, best: Candidate | undefined): boolean {
  if (!judged.has(scope)) return true;
  const previous = judged.get(scope);
  return previous !== undefined && (!best || previous.links >= best.links);
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

/** What judging needs: who links to whom, which pairs fail outright, and how many links each still has uncovered. */
interface Graph {
  names: readonly string[];
  size: number;
  /** Per cluster, the clusters it has links to. */
  outbound: number[][];
  /** Per cluster, the clusters that have links to it. */
  inbound: number[][];
  /** Pairs every link of which fails (one working group proves the path). */
  failedPairs: Set<number>;
  /** Links of each pair not yet covered by a finding; a pair all covered is absent. */
  uncovered: Map<number, number>;
}

function judgingGraph(input: PairGraph): Graph {
  const size = input.names.length;
  const outbound = Array.from({ length: size }, (): number[] => []);
  const inbound = Array.from({ length: size }, (): number[] => []);
  const failedPairs = new Set<number>();
  for (const [pair, total] of input.total) {
    const [from, to] = endsOf(pair, size);
    outbound[from]!.push(to);
    inbound[to]!.push(from);
    if (input.failed.get(pair) === total) failedPairs.add(pair);
  }
  return { names: input.names, size, outbound, inbound, failedPairs, uncovered: new Map(input.total) };
}

/** The source and target cluster of a pair. */
function endsOf(pair: number, size: number): [number, number] {
  return [Math.floor(pair / size), pair % size];
}

/** The clusters across the member's links in one direction. */
function peersOf(graph: Graph, member: number, direction: Direction): readonly number[] {
  return direction === 'inbound' ? graph.inbound[member]! : graph.outbound[member]!;
}

/** The pair of a member's link with a peer, in one direction. */
function pairOf({ size }: Graph, member: number, peer: number, direction: Direction): number {
  return direction === 'inbound' ? peer * size + member : member * size + peer;
}

interface Scope {
  scope: PartitionScope;
  subject: string;
  /** Cluster indexes. */
  members: number[];
}

/** Every region of two or more linked clusters (by name), then every linked cluster. */
function scopesOf(graph: Graph, regionOf: ReadonlyMap<string, string>): Scope[] {
  const linked = graph.names.flatMap((_, index) => (graph.outbound[index]!.length + graph.inbound[index]!.length > 0 ? [index] : []));
  const byRegion = new Map<string, number[]>();
  for (const index of linked) {
    const region = regionOf.get(graph.names[index]!) ?? '';
    if (region) pushTo(byRegion, region, index);
  }
  return [
    ...[...byRegion].filter(([, members]) => members.length >= 2).sort(([a], [b]) => a.localeCompare(b))
      .map(([region, members]) => ({ scope: PartitionScope.Region, subject: region, members })),
    ...linked.map((index) => ({ scope: PartitionScope.Cluster, subject: graph.names[index]!, members: [index] })),
  ];
}

/** The scopes each cluster is a member of. */
function scopesByCluster(scopes: readonly Scope[]): Map<number, Scope[]> {
  const holding = new Map<number, Scope[]>();
  for (const scope of scopes) for (const member of scope.members) pushTo(holding, member, scope);
  return holding;
}

/** Cheap bound: a scope can only be cut if its members have enough failed pairs. */
function mayBeCut({ members }: Scope, graph: Graph, options: PartitionOptions): boolean {
  const needed = members.length > 1 ? 1 : options.minPeers;
  const failedPairsOf = (member: number, direction: Direction) => peersOf(graph, member, direction)
    .filter((peer) => graph.failedPairs.has(pairOf(graph, member, peer, direction))).length;
  return members.some((member) => Math.max(failedPairsOf(member, 'inbound'), failedPairsOf(member, 'outbound')) >= needed);
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

/** Most links first; then the larger share, regions before clusters, inbound first, by name. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return b.links - a.links
    || b.share - a.share
    || (a.finding.scope === b.finding.scope ? 0 : a.finding.scope === PartitionScope.Region ? -1 : 1)
    || (a.finding.direction === b.finding.direction ? 0 : a.finding.direction === PartitionDirection.Inbound ? -1 : 1)
    || a.finding.subject.localeCompare(b.finding.subject);
}

/** The scope as cut off, when enough peers fail to reach it or be reached by it. */
function judgeScope(scope: Scope, graph: Graph, options: PartitionOptions): Candidate | undefined {
  const inbound = crossing(graph, scope.members, 'inbound');
  const outbound = crossing(graph, scope.members, 'outbound');
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

/** The uncovered links crossing the scope's border in one direction, judged per outside peer. */
function crossing(graph: Graph, members: readonly number[], direction: Direction): Crossing {
  const inside = new Set(members);
  // The uncovered pairs across the border, grouped by the peer outside.
  const pairsByPeer = new Map<number, number[]>();
  for (const member of members) {
    for (const peer of peersOf(graph, member, direction)) {
      const pair = pairOf(graph, member, peer, direction);
      if (!inside.has(peer) && graph.uncovered.has(pair)) pushTo(pairsByPeer, peer, pair);
    }
  }
  const result: Crossing = { peers: pairsByPeer.size, failedPeers: [], failedPairs: [], failedLinks: 0 };
  for (const [peer, pairs] of pairsByPeer) {
    if (!pairs.every((pair) => graph.failedPairs.has(pair))) continue;
    result.failedPeers.push(peer);
    for (const pair of pairs) {
      result.failedPairs.push(pair);
      result.failedLinks += graph.uncovered.get(pair)!;
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
