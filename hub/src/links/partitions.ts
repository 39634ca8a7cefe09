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

export function analysePartitions(
  links: Iterable<LinkHealth>,
  regionOf: ReadonlyMap<string, string>,
  options: Partial<PartitionOptions> = {},
): PartitionAnalysis {
  const settings = { ...defaultPartitionOptions(), ...options };
  const graph = buildGraph(links);
  const { names, size } = graph;

  const byRegion = new Map<string, number[]>();
  names.forEach((name, index) => {
    const region = regionOf.get(name) ?? '';
    if (region) byRegion.set(region, [...(byRegion.get(region) ?? []), index]);
  });
  const scopes: Scope[] = [
    ...[...byRegion].filter(([, members]) => members.length >= 2).sort(([a], [b]) => a.localeCompare(b))
      .map(([region, members]) => ({ scope: PartitionScope.Region, subject: region, members })),
    ...names.map((name, index) => ({ scope: PartitionScope.Cluster, subject: name, members: [index] })),
  ].filter((scope) => mayBeCut(scope, graph, settings));

  // The same failed links can be explained from either end ("eu unreachable from us" or
  // "us cannot reach eu", or one cluster of eu after another). Take the explanation that
  // covers the most failed links, then look again at what it leaves uncovered.
  const findings: PartitionFinding[] = [];
  const coveredPairs = new Uint8Array(size * size);
  for (;;) {
    let best: Candidate | undefined;
    for (const scope of scopes) {
      const candidate = judgeScope(scope, graph, settings);
      if (candidate && (!best || compareCandidates(candidate, best) < 0)) best = candidate;
    }
    if (!best) break;
    for (const pair of best.pairs) {
      graph.uncovered[pair] = 0;
      coveredPairs[pair] = 1;
    }
    scopes.splice(scopes.indexOf(best.scope), 1);
    findings.push(best.finding);
  }
  const covered = new Set<string>();
  graph.links.forEach((link, position) => {
    if (coveredPairs[graph.pairOf[position]!]) covered.add(linkKey(link.group, link.from, link.to));
  });
  findings.sort((a, b) => a.id.localeCompare(b.id));
  return { findings, covered };
}

/**
 * Links aggregated per ordered cluster pair across mesh groups, in flat n×n arrays (pair
 * `from * size + to`). A pair fails only when all its links fail: one working group
 * proves the path.
 */
interface Graph {
  names: string[];
  size: number;
  links: LinkHealth[];
  /** Pair of each link, by position in `links`. */
  pairOf: Int32Array;
  /** 1 when the pair has links and every one of them fails. */
  pairFailed: Uint8Array;
  /** Links of the pair not yet covered by a finding. */
  uncovered: Int32Array;
}

function buildGraph(input: Iterable<LinkHealth>): Graph {
  const index = new Map<string, number>();
  const indexOf = (name: string) => {
    let found = index.get(name);
    if (found === undefined) index.set(name, (found = index.size));
    return found;
  };
  const links: LinkHealth[] = [];
  const ends: number[] = [];
  for (const link of input) {
    links.push(link);
    ends.push(indexOf(link.from), indexOf(link.to));
  }
  const size = index.size;
  const pairOf = new Int32Array(links.length);
  const total = new Int32Array(size * size);
  const failed = new Int32Array(size * size);
  links.forEach((link, position) => {
    const pair = ends[2 * position]! * size + ends[2 * position + 1]!;
    pairOf[position] = pair;
    total[pair]! += 1;
    if (link.failed) failed[pair]! += 1;
  });
  const pairFailed = new Uint8Array(size * size);
  for (let pair = 0; pair < size * size; pair += 1) pairFailed[pair] = total[pair]! > 0 && failed[pair] === total[pair] ? 1 : 0;
  return { names: [...index.keys()], size, links, pairOf, pairFailed, uncovered: total };
}

interface Scope {
  scope: PartitionScope;
  subject: string;
  /** Cluster indexes. */
  members: number[];
}

/** Cheap bound: a scope can only be cut if its members have enough failed pairs. */
function mayBeCut({ members }: Scope, { size, pairFailed }: Graph, options: PartitionOptions): boolean {
  const needed = members.length > 1 ? 1 : options.minPeers;
  return members.some((member) => {
    let inbound = 0;
    let outbound = 0;
    for (let peer = 0; peer < size; peer += 1) {
      inbound += pairFailed[peer * size + member]!;
      outbound += pairFailed[member * size + peer]!;
    }
    return Math.max(inbound, outbound) >= needed;
  });
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
    pairs.push(...side.failedPairs);
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
function crossing({ size, pairFailed, uncovered }: Graph, members: readonly number[], direction: 'inbound' | 'outbound'): Crossing {
  const inside = new Set(members);
  const result: Crossing = { peers: 0, failedPeers: [], failedPairs: [], failedLinks: 0 };
  for (let peer = 0; peer < size; peer += 1) {
    if (inside.has(peer)) continue;
    let links = 0;
    let allFailed = true;
    for (const member of members) {
      const pair = direction === 'inbound' ? peer * size + member : member * size + peer;
      if (uncovered[pair] === 0) continue;
      links += uncovered[pair]!;
      if (!pairFailed[pair]) allFailed = false;
    }
    if (links === 0) continue;
    result.peers += 1;
    if (!allFailed) continue;
    result.failedPeers.push(peer);
    result.failedLinks += links;
    for (const member of members) {
      const pair = direction === 'inbound' ? peer * size + member : member * size + peer;
      if (uncovered[pair]! > 0) result.failedPairs.push(pair);
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
  return findings.filter((finding) => !(REACHABILITY_FINDINGS.has(finding.type)
    && finding.links.some((link) => covered.has(linkKey(finding.group, link.from, link.to)))));
}
