import {
  LinkFindingType, PartitionDirection, PartitionScope,
  type LinkFinding, type PartitionFinding,
} from '@netfleet/shared/protocol/links';

/**
 * Partition-aware analysis: when the links into (or out of) one region or one cluster fail
 * from several peers, the likely cause is that region or cluster, not each link. One
 * finding names it ("region eu unreachable from 4 clusters", "cluster us-2 cannot reach any
 * peer") and covers its links, so they raise no finding of their own. Findings exist only
 * while the failures do: recomputing after the links recover drops them (see
 * {@link diffPartitions}).
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

/** The links between two clusters across all mesh groups. */
interface PairLinks {
  keys: string[];
  failed: number;
}

/** Cluster pairs, by source then target. */
type Pairs = Map<string, Map<string, PairLinks>>;

export function analysePartitions(
  links: Iterable<LinkHealth>,
  regionOf: ReadonlyMap<string, string>,
  options: Partial<PartitionOptions> = {},
): PartitionAnalysis {
  const settings = { ...defaultPartitionOptions(), ...options };
  const pairs: Pairs = new Map();
  for (const link of links) {
    let row = pairs.get(link.from);
    if (!row) pairs.set(link.from, (row = new Map()));
    let pair = row.get(link.to);
    if (!pair) row.set(link.to, (pair = { keys: [], failed: 0 }));
    pair.keys.push(linkKey(link.group, link.from, link.to));
    if (link.failed) pair.failed += 1;
  }

  const clusters = new Set<string>();
  for (const [from, row] of pairs) {
    clusters.add(from);
    for (const to of row.keys()) clusters.add(to);
  }
  const byRegion = new Map<string, string[]>();
  for (const cluster of [...clusters].sort()) {
    const region = regionOf.get(cluster) ?? '';
    if (region) byRegion.set(region, [...(byRegion.get(region) ?? []), cluster]);
  }
  const scopes: Scope[] = [
    ...[...byRegion].filter(([, members]) => members.length >= 2)
      .map(([region, members]) => ({ scope: PartitionScope.Region, subject: region, members: new Set(members) })),
    ...[...clusters].map((cluster) => ({ scope: PartitionScope.Cluster, subject: cluster, members: new Set([cluster]) })),
  ];

  // The same failed links can be explained from either end ("eu unreachable from us" or
  // "us cannot reach eu", or one cluster of eu after another). Take the explanation that
  // covers the most failed links, then look again at what it leaves uncovered.
  const failedPeers = countFailedPeers(pairs);
  const worthJudging = (scope: Scope) => [...scope.members].some((member) => (failedPeers.get(member) ?? 0) >= (scope.members.size > 1 ? 1 : settings.minPeers));
  const candidates = scopes.filter(worthJudging);

  const covered = new Set<string>();
  const findings: PartitionFinding[] = [];
  const named = new Set<string>();
  for (;;) {
    let best: Candidate | undefined;
    for (const scope of candidates) {
      if (named.has(scope.subject + scope.scope)) continue;
      const candidate = judgeScope(scope, pairs, covered, settings);
      if (candidate && (!best || compareCandidates(candidate, best) < 0)) best = candidate;
    }
    if (!best) break;
    for (const key of best.keys) covered.add(key);
    named.add(best.finding.subject + best.finding.scope);
    findings.push(best.finding);
  }
  findings.sort((a, b) => a.id.localeCompare(b.id));
  return { findings, covered };
}

/** Per cluster, the most peers it has failed links with in one direction (a cheap bound). */
function countFailedPeers(pairs: Pairs): Map<string, number> {
  const outbound = new Map<string, number>();
  const inbound = new Map<string, number>();
  for (const [from, row] of pairs) {
    for (const [to, pair] of row) {
      if (pair.failed === 0) continue;
      outbound.set(from, (outbound.get(from) ?? 0) + 1);
      inbound.set(to, (inbound.get(to) ?? 0) + 1);
    }
  }
  const most = new Map(outbound);
  for (const [cluster, count] of inbound) most.set(cluster, Math.max(count, most.get(cluster) ?? 0));
  return most;
}

interface Scope {
  scope: PartitionScope;
  subject: string;
  members: ReadonlySet<string>;
}

interface Candidate {
  finding: PartitionFinding;
  /** The failed links it would cover. */
  keys: string[];
  /** Share of the subject's peers cut off. */
  share: number;
}

/** Most links first; then the larger share, regions before clusters, inbound first, by name. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return b.keys.length - a.keys.length
    || b.share - a.share
    || (a.finding.scope === b.finding.scope ? 0 : a.finding.scope === PartitionScope.Region ? -1 : 1)
    || (a.finding.direction === b.finding.direction ? 0 : a.finding.direction === PartitionDirection.Inbound ? -1 : 1)
    || a.finding.subject.localeCompare(b.finding.subject);
}

/** The scope as cut off, when enough peers fail to reach it or be reached by it. */
function judgeScope({ scope, subject, members }: Scope, pairs: Pairs, covered: ReadonlySet<string>, options: PartitionOptions): Candidate | undefined {
  const inbound = crossing(pairs, members, covered, 'inbound');
  const outbound = crossing(pairs, members, covered, 'outbound');
  const inboundCut = isCut(inbound, options);
  const outboundCut = isCut(outbound, options);
  if (!inboundCut && !outboundCut) return undefined;

  const keys: string[] = [];
  const peers = new Set<string>();
  let share = 0;
  for (const [cut, side] of [[inboundCut, inbound], [outboundCut, outbound]] as const) {
    if (!cut) continue;
    for (const [peer, peerKeys] of side.failedKeys) {
      keys.push(...peerKeys);
      peers.add(peer);
    }
    share = Math.max(share, side.failedKeys.size / side.peers);
  }
  const direction = inboundCut && outboundCut ? PartitionDirection.Isolated : inboundCut ? PartitionDirection.Inbound : PartitionDirection.Outbound;
  return {
    keys,
    share,
    finding: {
      id: `partition:${scope}:${subject}:${direction}`,
      scope,
      subject,
      direction,
      peers: [...peers].sort(),
      linkCount: keys.length,
      message: describe(scope, subject, direction, inbound, outbound),
    },
  };
}

interface Crossing {
  /** Peers outside the scope with uncovered links across its border. */
  peers: number;
  /** Peers all of whose uncovered links across the border fail, with those links' keys. */
  failedKeys: Map<string, string[]>;
}

/** The links crossing the scope's border in one direction, grouped by outside peer. */
function crossing(pairs: Pairs, members: ReadonlySet<string>, covered: ReadonlySet<string>, direction: 'inbound' | 'outbound'): Crossing {
  const byPeer = new Map<string, { keys: string[]; failed: boolean }>();
  const add = (peer: string, pair: PairLinks) => {
    const keys = pair.keys.filter((key) => !covered.has(key));
    if (keys.length === 0) return;
    const entry = byPeer.get(peer) ?? { keys: [], failed: true };
    entry.keys.push(...keys);
    // A pair counts as failed only when all its links fail (one working group proves the path).
    entry.failed &&= pair.failed === pair.keys.length;
    byPeer.set(peer, entry);
  };
  if (direction === 'outbound') {
    for (const member of members) {
      for (const [to, pair] of pairs.get(member) ?? []) if (!members.has(to)) add(to, pair);
    }
  } else {
    for (const [from, row] of pairs) {
      if (members.has(from)) continue;
      for (const member of members) {
        const pair = row.get(member);
        if (pair) add(from, pair);
      }
    }
  }
  const failedKeys = new Map<string, string[]>();
  for (const [peer, entry] of byPeer) if (entry.failed) failedKeys.set(peer, entry.keys);
  return { peers: byPeer.size, failedKeys };
}

function isCut(side: Crossing, options: PartitionOptions): boolean {
  const failed = side.failedKeys.size;
  return failed >= options.minPeers && failed >= options.minShare * side.peers;
}

function describe(scope: PartitionScope, subject: string, direction: PartitionDirection, inbound: Crossing, outbound: Crossing): string {
  const clusters = (count: number) => `${count} cluster${count === 1 ? '' : 's'}`;
  const reach = outbound.failedKeys.size === outbound.peers
    ? (scope === PartitionScope.Cluster ? 'cannot reach any peer' : `cannot reach ${clusters(outbound.peers)}`)
    : `cannot reach ${outbound.failedKeys.size} of ${outbound.peers} peers`;
  switch (direction) {
    case PartitionDirection.Inbound:
      return `${scope} ${subject} unreachable from ${clusters(inbound.failedKeys.size)}`;
    case PartitionDirection.Outbound:
      return `${scope} ${subject} ${reach}`;
    case PartitionDirection.Isolated:
      return `${scope} ${subject} isolated: ${reach} and unreachable from ${clusters(inbound.failedKeys.size)}`;
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

/** Which partition findings appeared and which resolved between two analyses. */
export function diffPartitions(previous: readonly PartitionFinding[], next: readonly PartitionFinding[]): { raised: PartitionFinding[]; resolved: PartitionFinding[] } {
  const before = new Set(previous.map((finding) => finding.id));
  const after = new Set(next.map((finding) => finding.id));
  return {
    raised: next.filter((finding) => !before.has(finding.id)),
    resolved: previous.filter((finding) => !after.has(finding.id)),
  };
}
