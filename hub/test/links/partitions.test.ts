import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LinkFindingType, LinkKind, LinkReason, LinkState, PartitionDirection, PartitionScope,
  type LinkFinding, type LinkObservation, type PartitionFinding,
} from '@netfleet/shared/protocol/links';
import { linkTopology } from '../../src/links/expected-links.js';
import { LinkMatrix } from '../../src/links/matrix.js';
import {
  DIRECTION_RANK,
  analysePairGraph, analysePartitions, defaultPartitionOptions, linkKey, withoutCovered,
  type LinkHealth, type PartitionAnalysis, type PartitionOptions,
} from '../../src/links/partitions.js';

const regionOf = new Map([
  ['eu-1', 'eu'], ['eu-2', 'eu'], ['us-1', 'us'], ['us-2', 'us'], ['ap-1', 'ap'], ['ap-2', 'ap'],
]);
const clusters = [...regionOf.keys()];
const groups = ['fed', 'mc'];

type Cut = (link: { group: string; from: string; to: string }) => boolean;

/** Both groups span all six clusters; `cut` says which links fail. */
function fleet(cut: Cut): LinkHealth[] {
  return groups.flatMap((group) => clusters.flatMap((from) => clusters
    .filter((to) => to !== from)
    .map((to) => ({ group, from, to, failed: cut({ group, from, to }) }))));
}

const region = (cluster: string) => regionOf.get(cluster);
const nothing: Cut = () => false;
const intoEu: Cut = ({ from, to }) => region(to) === 'eu' && region(from) !== 'eu';
const euBothWays: Cut = ({ from, to }) => (region(to) === 'eu') !== (region(from) === 'eu');
const fromUs2: Cut = ({ from }) => from === 'us-2';
const intoAp1: Cut = ({ to }) => to === 'ap-1';
const oneLink: Cut = ({ from, to }) => from === 'eu-1' && to === 'us-1';
const federationIntoEu: Cut = (link) => link.group === 'fed' && intoEu(link);
const intoEuFromOnePeer: Cut = ({ from, to }) => from === 'us-1' && region(to) === 'eu';
const fromUs2ToThree: Cut = ({ from, to }) => from === 'us-2' && ['eu-1', 'eu-2', 'ap-1'].includes(to);

describe('analysePartitions', () => {
  it.each([
    ['every link healthy', nothing, [], 0],
    ['every link into region eu cut', intoEu, ['region eu unreachable from 4 clusters'], 16],
    ['region eu cut off both ways', euBothWays, ['region eu isolated: cannot reach 4 clusters and unreachable from 4 clusters'], 32],
    ['every link out of us-2 failing', fromUs2, ['cluster us-2 cannot reach any peer'], 10],
    ['every link into ap-1 failing', intoAp1, ['cluster ap-1 unreachable from 5 clusters'], 10],
    ['us-2 failing to reach 3 of its 5 peers', fromUs2ToThree, ['cluster us-2 cannot reach 3 of 5 peers'], 6],
    ['one failing link', oneLink, [], 0],
    ['federation into eu failing while multicluster works', federationIntoEu, [], 0],
    ['links into eu failing from one peer only', intoEuFromOnePeer, [], 0],
  ])('with %s names %j covering %i links', (_name, cut, messages, coveredCount) => {
    const links = fleet(cut);
    const analysis = analysePartitions(links, regionOf);
    expect(analysis.findings.map((finding) => finding.message)).toEqual(messages);
    expect(analysis.covered.size).toBe(coveredCount);
    for (const link of links) {
      if (analysis.covered.has(linkKey(link.group, link.from, link.to))) expect(link.failed).toBe(true);
    }
  });

  it('lists the peers on the other side and a stable id', () => {
    const [finding] = analysePartitions(fleet(intoEu), regionOf).findings;
    expect(finding).toMatchObject({
      id: 'partition:region:eu:inbound', scope: 'region', subject: 'eu', direction: 'inbound',
      peers: ['ap-1', 'ap-2', 'us-1', 'us-2'], linkCount: 16,
    });
  });

  it('names the cut-off side when failures could be read from either end, and honours minPeers', () => {
    const links = fleet(({ from, to }) => region(to) === 'eu' && region(from) === 'us');
    expect(analysePartitions(links, regionOf).findings.map((finding) => finding.message)).toEqual(['region eu unreachable from 2 clusters']);
    expect(analysePartitions(links, regionOf, { minPeers: 3 }).findings).toEqual([]);
  });
});

describe('withoutCovered', () => {
  const finding = (type: LinkFindingType, from: string, to: string): LinkFinding => ({
    id: `${type}:fed:${from}:${to}`, type, group: 'fed', clusters: [from, to], links: [{ from, to }], message: '',
  });

  it.each([
    ['a stale link into the cut region', finding(LinkFindingType.Stale, 'us-1', 'eu-1'), false],
    ['an asymmetric pair across the cut', { ...finding(LinkFindingType.Asymmetric, 'eu-1', 'us-1'), links: [{ from: 'eu-1', to: 'us-1' }, { from: 'us-1', to: 'eu-1' }] }, false],
    ['a stale link elsewhere', finding(LinkFindingType.Stale, 'us-1', 'ap-1'), true],
    ['an expiring certificate in the cut region', finding(LinkFindingType.CertificateExpiring, 'us-1', 'eu-1'), true],
    ['a missing resource in the cut region', finding(LinkFindingType.MissingOnOneSide, 'us-1', 'eu-1'), true],
  ])('keeps %s: %s', (_name, item, kept) => {
    const { covered } = analysePartitions(fleet(intoEu), regionOf);
    expect(withoutCovered([item], covered)).toHaveLength(kept ? 1 : 0);
  });
});

describe('the analysis over the links that exist', () => {
  it('refuses options under which covering links could make a side cut', () => {
    expect(() => analysePartitions([], regionOf, { minPeers: 0 })).toThrow(/minPeers must be at least 1/);
    expect(() => analysePartitions([], regionOf, { minShare: 0 })).toThrow(/minShare within \(0, 1\]/);
  });

  it('finds what the dense analysis over every pair of clusters finds', () => {
    // Regions of several sizes, and a cluster outside any region.
    const regions = new Map([...regionOf, ['eu-3', 'eu']]);
    const names = [...regions.keys(), 'lone'];
    const link = fc.record({ group: fc.constantFrom(...groups), from: fc.constantFrom(...names), to: fc.constantFrom(...names), failed: fc.boolean() });
    const options = fc.record({ minPeers: fc.integer({ min: 1, max: 3 }), minShare: fc.constantFrom(0.25, 0.5, 1) });
    fc.assert(fc.property(fc.array(link, { maxLength: 80 }), options, (links, settings) => {
      const sparse = analysePartitions(links, regions, settings);
      const dense = denseAnalysis(links, regions, settings);
      expect(sparse.findings).toEqual(dense.findings);
      expect([...sparse.covered].sort()).toEqual([...dense.covered].sort());
    }), { numRuns: 400 });
  });

  it('keeps and analyses 100,000 clusters in mesh groups of 5', () => {
    const count = 100_000;
    const nameOf = (index: number) => `c${String(index).padStart(6, '0')}`;
    const inventory = Array.from({ length: count }, (_, index) => ({ name: nameOf(index), region: `r${index % 10}`, publicDomain: `${nameOf(index)}.example.com` }));
    const meshGroups = Array.from({ length: count / 5 }, (_, group) => ({
      name: `g${group}`, type: 'federation' as const, members: inventory.slice(group * 5, group * 5 + 5).map((cluster) => cluster.name),
    }));
    const topology = linkTopology(meshGroups, inventory);
    const matrix = new LinkMatrix(topology);
    // Every 1,000th cluster is down and sends nothing: its four peers fail to reach it.
    // c000501 reaches none of its peers, c000702 fails to reach one.
    const down = inventory.filter((_, index) => index % 1000 === 0).map((cluster) => cluster.name);
    const isDown = new Set(down);
    const failing = (from: string, to: string) => isDown.has(to) || from === 'c000501' || (from === 'c000702' && to === 'c000703');
    const groupOf = new Map(topology.groups.flatMap((group) => group.members.map((member) => [member, group])));
    const report = (from: string, failed: (to: string) => boolean) => {
      const group = groupOf.get(from)!;
      const links = group.members.filter((to) => to !== from).map((to) => peerLink(to, failed(to) ? LinkState.Unreachable : LinkState.Healthy));
      matrix.applyReport(from, { links }, new Date());
    };
    for (const { name } of inventory) if (!isDown.has(name)) report(name, (to) => failing(name, to));

    const analysis = analysePairGraph(matrix.pairGraph(), topology.regionOf);
    const expected = [...down.map((name) => [name, 'inbound', `cluster ${name} unreachable from 4 clusters`]), ['c000501', 'outbound', 'cluster c000501 cannot reach any peer']]
      .sort(([a], [b]) => a!.localeCompare(b!));
    expect(analysis.findings.map((finding) => [finding.subject, finding.direction, finding.message])).toEqual(expected);
    expect(analysis.findings[0]).toMatchObject({ id: 'partition:cluster:c000000:inbound', peers: ['c000001', 'c000002', 'c000003', 'c000004'], linkCount: 4 });
    expect(analysis.covered.size).toBe(4 * (down.length + 1));
    expect(analysis.covered).toContain(linkKey('g100', 'c000501', 'c000502'));

    report('c000501', () => false);
    expect(analysePairGraph(matrix.pairGraph(), topology.regionOf).findings.map((finding) => finding.subject)).toEqual(down);
  }, 60_000);
});

function peerLink(to: string, state: LinkState): LinkObservation {
  return {
    kind: LinkKind.Federation, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
    state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched, message: `${state} link to ${to}`,
  };
}

/**
 * The model: partition analysis as it was written over dense n×n arrays, every scope
 * judged by scanning every cluster. The sparse analysis must find exactly what it finds.
 */
function denseAnalysis(links: readonly LinkHealth[], regionOf: ReadonlyMap<string, string>, options: Partial<PartitionOptions> = {}): PartitionAnalysis {
  const settings = { ...defaultPartitionOptions(), ...options };
  const index = new Map<string, number>();
  for (const link of links) for (const name of [link.from, link.to]) if (!index.has(name)) index.set(name, index.size);
  const names = [...index.keys()];
  const size = names.length;
  const total = new Int32Array(size * size);
  const failed = new Int32Array(size * size);
  const keys = new Map<number, string[]>();
  for (const link of links) {
    const pair = index.get(link.from)! * size + index.get(link.to)!;
    total[pair]! += 1;
    if (link.failed) failed[pair]! += 1;
    keys.set(pair, [...(keys.get(pair) ?? []), linkKey(link.group, link.from, link.to)]);
  }
  const graph: DenseGraph = { names, size, linked: new Uint8Array(size), pairFailed: new Uint8Array(size * size), uncovered: Int32Array.from(total) };
  for (let pair = 0; pair < size * size; pair += 1) {
    if (total[pair] === 0) continue;
    graph.linked[Math.floor(pair / size)] = 1;
    graph.linked[pair % size] = 1;
    if (failed[pair] === total[pair]) graph.pairFailed[pair] = 1;
  }

  const byRegion = new Map<string, number[]>();
  names.forEach((name, member) => {
    const region = regionOf.get(name) ?? '';
    if (region && graph.linked[member]) byRegion.set(region, [...(byRegion.get(region) ?? []), member]);
  });
  const scopes: DenseScope[] = [
    ...[...byRegion].filter(([, members]) => members.length >= 2).sort(([a], [b]) => a.localeCompare(b))
      .map(([region, members]) => ({ scope: PartitionScope.Region, subject: region, members })),
    ...names.flatMap((name, member) => (graph.linked[member] ? [{ scope: PartitionScope.Cluster, subject: name, members: [member] }] : [])),
  ].filter((scope) => denseMayBeCut(scope, graph, settings));

  const findings: PartitionFinding[] = [];
  const covered = new Set<string>();
  for (;;) {
    let best: DenseCandidate | undefined;
    for (const scope of scopes) {
      const candidate = denseJudgeScope(scope, graph, settings);
      if (candidate && (!best || denseCompare(candidate, best) < 0)) best = candidate;
    }
    if (!best) break;
    for (const pair of best.pairs) {
      graph.uncovered[pair] = 0;
      for (const key of keys.get(pair) ?? []) covered.add(key);
    }
    scopes.splice(scopes.indexOf(best.scope), 1);
    findings.push(best.finding);
  }
  findings.sort((a, b) => a.id.localeCompare(b.id));
  return { findings, covered };
}

interface DenseGraph {
  names: readonly string[];
  size: number;
  linked: Uint8Array;
  pairFailed: Uint8Array;
  uncovered: Int32Array;
}

interface DenseScope {
  scope: PartitionScope;
  subject: string;
  members: number[];
}

interface DenseCandidate {
  scope: DenseScope;
  finding: PartitionFinding;
  pairs: number[];
  links: number;
  share: number;
}

interface DenseCrossing {
  peers: number;
  failedPeers: number[];
  failedPairs: number[];
  failedLinks: number;
}

function denseMayBeCut({ members }: DenseScope, { size, pairFailed }: DenseGraph, options: PartitionOptions): boolean {
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

// The model shares the direction order with the analysis.
function denseCompare(a: DenseCandidate, b: DenseCandidate): number {
  return b.links - a.links
    || b.share - a.share
    || (a.finding.scope === b.finding.scope ? 0 : a.finding.scope === PartitionScope.Region ? -1 : 1)
    || DIRECTION_RANK[a.finding.direction] - DIRECTION_RANK[b.finding.direction]
    || a.finding.subject.localeCompare(b.finding.subject);
}

function denseJudgeScope(scope: DenseScope, graph: DenseGraph, options: PartitionOptions): DenseCandidate | undefined {
  const inbound = denseCrossing(graph, scope.members, 'inbound');
  const outbound = denseCrossing(graph, scope.members, 'outbound');
  const isCut = (side: DenseCrossing) => side.failedPeers.length >= options.minPeers && side.failedPeers.length >= options.minShare * side.peers;
  const inboundCut = isCut(inbound);
  const outboundCut = isCut(outbound);
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
  const count = (clusters: number) => `${clusters} cluster${clusters === 1 ? '' : 's'}`;
  const failedOut = outbound.failedPeers.length;
  const reach = failedOut === outbound.peers
    ? (kind === PartitionScope.Cluster ? 'cannot reach any peer' : `cannot reach ${count(outbound.peers)}`)
    : `cannot reach ${failedOut} of ${outbound.peers} peers`;
  const message = {
    [PartitionDirection.Inbound]: `${kind} ${subject} unreachable from ${count(inbound.failedPeers.length)}`,
    [PartitionDirection.Outbound]: `${kind} ${subject} ${reach}`,
    [PartitionDirection.Isolated]: `${kind} ${subject} isolated: ${reach} and unreachable from ${count(inbound.failedPeers.length)}`,
  }[direction];
  return {
    scope,
    pairs,
    links,
    share,
    finding: { id: `partition:${kind}:${subject}:${direction}`, scope: kind, subject, direction, peers: [...peers].sort(), linkCount: links, message },
  };
}

function denseCrossing({ size, pairFailed, uncovered }: DenseGraph, members: readonly number[], direction: 'inbound' | 'outbound'): DenseCrossing {
  const inside = new Set(members);
  const result: DenseCrossing = { peers: 0, failedPeers: [], failedPairs: [], failedLinks: 0 };
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
