import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LinkFindingType, LinkKind, LinkMatrixResponseSchema, LinkReason, LinkState, ProbeOutcome,
  type LinkFinding, type LinkObservation, type ProbeResult,
} from '@netfleet/shared/protocol/links';
import { compileValidator } from '@netfleet/shared/protocol/validate';
import { expectedLinks, linkTopology } from '../../src/links/expected-links.js';
import { LinkMatrix } from '../../src/links/matrix.js';
import { analysePairGraph, analysePartitions } from '../../src/links/partitions.js';

const now = new Date('2026-11-26T12:00:00Z');
const inventory = [
  { name: 'eu-1', region: 'eu' }, { name: 'eu-2', region: 'eu' },
  { name: 'us-1', region: 'us' }, { name: 'us-2', region: 'us' },
  { name: 'ap-1', region: 'ap' }, { name: 'ap-2', region: 'ap' },
].map((cluster) => ({ ...cluster, publicDomain: `${cluster.name}.example.com` }));
const allNames = inventory.map((cluster) => cluster.name);
const topology = linkTopology([
  { name: 'payments', type: 'federation', members: allNames },
  { name: 'core', type: 'multicluster', members: ['eu-1', 'eu-2', 'us-1'] },
], inventory);

function observation(to: string, state: LinkState, extra: Partial<LinkObservation> = {}, kind = LinkKind.Federation): LinkObservation {
  return {
    kind, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
    state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched, message: `${state} link to ${to}`,
    ...extra,
  };
}

function probe(extra: Partial<ProbeResult>): ProbeResult {
  return { url: 'https://x/metadata/public/public.json', outcome: ProbeOutcome.Ok, probedAt: now.toISOString(), ...extra };
}

type StateOf = (from: string, to: string) => LinkState | undefined;

/** Every cluster reports its links in every group it belongs to; `stateOf` undefined leaves a link out. */
function reportAll(matrix: LinkMatrix, stateOf: StateOf = () => LinkState.Healthy, extra: (from: string, to: string) => Partial<LinkObservation> = () => ({})): void {
  for (const from of allNames) {
    const links = topology.groups.filter((group) => group.members.includes(from)).flatMap((group) => group.members
      .filter((to) => to !== from)
      .flatMap((to) => {
        const state = stateOf(from, to);
        return state ? [observation(to, state, extra(from, to), group.kind)] : [];
      }));
    matrix.applyReport(from, { links }, now);
  }
}

const newMatrix = () => new LinkMatrix(topology, { now: () => now });
const payments = (matrix: LinkMatrix) => matrix.view({ group: 'payments' }).groups[0]!;
const cell = (matrix: LinkMatrix, from: string, to: string) => payments(matrix).cells.find((item) => item.from === from && item.to === to)!;
const findingTypes = (matrix: LinkMatrix) => payments(matrix).findings.map((finding) => [finding.type, finding.clusters.join(',')]);

describe('expected links', () => {
  it('declares n·(n−1) directed links per group, members ordered by region then name', () => {
    expect(topology.groups.map((group) => [group.name, group.kind, group.members])).toEqual([
      ['core', LinkKind.Multicluster, ['eu-1', 'eu-2', 'us-1']],
      ['payments', LinkKind.Federation, ['ap-1', 'ap-2', 'eu-1', 'eu-2', 'us-1', 'us-2']],
    ]);
    expect(expectedLinks(topology.groups[1]!)).toHaveLength(30);
    expect(expectedLinks(topology.groups[0]!)).toContainEqual({ from: 'us-1', to: 'eu-2' });
  });
});

describe('when no cluster has reported', () => {
  it('shows every declared link as unknown, with no findings', () => {
    const view = payments(newMatrix());
    expect(view.cells).toHaveLength(30);
    expect(view.counts.unknown).toBe(30);
    expect(view.findings).toEqual([]);
  });
});

describe('when every link is healthy', () => {
  it('counts 30 healthy cells and names nothing', () => {
    const matrix = newMatrix();
    reportAll(matrix);
    expect(payments(matrix).counts).toMatchObject({ healthy: 30, unknown: 0 });
    expect(matrix.findings()).toEqual([]);
  });
});

describe('when a cluster reports a link in a given state', () => {
  it.each(Object.values(LinkState))('shows %s in the cell', (state) => {
    const matrix = newMatrix();
    reportAll(matrix, (from, to) => (from === 'eu-1' && to === 'us-1' ? state : LinkState.Healthy));
    expect(cell(matrix, 'eu-1', 'us-1')).toMatchObject(state === LinkState.Healthy ? { state } : { state, reason: expect.any(String), message: `${state} link to us-1` });
    expect(payments(matrix).counts[state]).toBe(state === LinkState.Healthy ? 30 : 1);
  });
});

describe('findings', () => {
  it.each([
    ['a link missing on one side', (from: string, to: string) => (from === 'us-1' && to === 'eu-1' ? undefined : LinkState.Healthy),
      [[LinkFindingType.MissingOnOneSide, 'us-1,eu-1']]],
    ['a link missing on both sides', (from: string, to: string) => ([from, to].sort().join() === 'eu-1,us-1' ? undefined : LinkState.Healthy),
      [[LinkFindingType.MissingOnBothSides, 'eu-1,us-1']]],
    ['an asymmetric pair', (from: string, to: string) => (from === 'us-1' && to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy),
      [[LinkFindingType.Asymmetric, 'eu-1,us-1']]],
    ['a stale pair', (from: string, to: string) => ([from, to].sort().join() === 'eu-1,us-1' ? LinkState.Stale : LinkState.Healthy),
      [[LinkFindingType.Stale, 'eu-1,us-1'], [LinkFindingType.Stale, 'us-1,eu-1']]],
    ['a broken link whose reverse is pending', (from: string, to: string) => (from === 'us-1' && to === 'eu-1' ? LinkState.Incomplete : from === 'eu-1' && to === 'us-1' ? LinkState.Pending : LinkState.Healthy),
      [[LinkFindingType.LinkBroken, 'us-1,eu-1']]],
  ])('names %s', (_name, stateOf, expected) => {
    const matrix = newMatrix();
    reportAll(matrix, stateOf);
    expect(findingTypes(matrix)).toEqual(expected);
  });

  it('names a missing link with the resource kind, and resolves it when the resource appears', () => {
    const matrix = newMatrix();
    reportAll(matrix, (from, to) => (from === 'us-1' && to === 'eu-1' ? undefined : LinkState.Healthy));
    expect(payments(matrix).findings[0]!.message).toBe('eu-1 has its IstioFederation for us-1, but us-1 has none for eu-1');
    reportAll(matrix);
    expect(matrix.findings()).toEqual([]);
  });

  it('names one expiring certificate per peer, with the lowest days left, until it is renewed', () => {
    const matrix = newMatrix();
    const days = (from: string, to: string) => (to === 'ap-1' ? { probe: probe({ certificateDaysLeft: from === 'eu-1' ? 2 : 3 }) } : {});
    reportAll(matrix, () => LinkState.Healthy, days);
    const [finding, ...rest] = payments(matrix).findings;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ type: LinkFindingType.CertificateExpiring, clusters: ['ap-1'] });
    expect(finding!.message).toBe('certificate of istio.ap-1.example.com (ap-1) expires in 2 days, seen from 5 clusters');

    reportAll(matrix, () => LinkState.Healthy, (_from, to) => (to === 'ap-1' ? { probe: probe({ certificateDaysLeft: 89 }) } : {}));
    expect(matrix.findings()).toEqual([]);
  });

  it.each([
    ['a recent UUID change', { probe: probe({ clusterUUID: 'new', previousClusterUUID: 'old', clusterUUIDChangedAt: '2026-11-26T11:00:00Z' }) }, 'ap-2 was rebuilt: clusterUUID changed from old to new, seen from 1 cluster'],
    ['a UUID DKP has not caught up with', { cachedClusterUUID: 'old', probe: probe({ clusterUUID: 'new' }) }, 'ap-2 serves clusterUUID new but DKP still trusts old, seen from 1 cluster'],
  ])('names a peer identity change from %s', (_name, extra, message) => {
    const matrix = newMatrix();
    reportAll(matrix, () => LinkState.Healthy, (from, to) => (from === 'eu-1' && to === 'ap-2' ? extra : {}));
    expect(payments(matrix).findings.map((finding) => [finding.type, finding.message])).toEqual([[LinkFindingType.PeerIdentityChanged, message]]);
  });

  it('forgets an identity change older than the window', () => {
    const matrix = newMatrix();
    const old = { probe: probe({ clusterUUID: 'new', previousClusterUUID: 'old', clusterUUIDChangedAt: '2026-11-24T11:00:00Z' }) };
    reportAll(matrix, () => LinkState.Healthy, (from, to) => (from === 'eu-1' && to === 'ap-2' ? old : {}));
    expect(matrix.findings()).toEqual([]);
  });

  it('names links no mesh group declares', () => {
    const matrix = newMatrix();
    matrix.applyReport('us-2', { links: [observation('legacy', LinkState.Healthy, { managed: false }), observation('eu-1', LinkState.Healthy, {}, LinkKind.Multicluster)] }, now);
    expect(matrix.findings().filter((finding) => finding.type === LinkFindingType.Undeclared).map((finding) => [finding.type, finding.message])).toEqual([
      [LinkFindingType.Undeclared, 'us-2 has IstioFederation legacy (https://istio.legacy.example.com/metadata/) that no mesh group declares (not managed by netfleet)'],
      [LinkFindingType.Undeclared, 'us-2 has IstioMulticluster eu-1 (https://istio.eu-1.example.com/metadata/) that no mesh group declares'],
    ]);
  });

  it('leaves 905 links to undeclared peers out of the matrix, counts them, and raises one finding for them', () => {
    const matrix = newMatrix();
    const links = Array.from({ length: 905 }, (_, index) => observation(`ghost-${index}`, LinkState.Stale, { managed: false }));
    matrix.applyReport('us-2', { links }, now);
    const undeclared = matrix.findings().filter((finding) => finding.type === LinkFindingType.Undeclared);
    expect(undeclared.map((finding) => finding.message)).toEqual([
      'us-2 has 905 links that no mesh group declares: IstioFederation ghost-0, IstioFederation ghost-1, IstioFederation ghost-2 and 902 more',
    ]);
    expect(matrix.undeclaredLinkCount()).toBe(905);
    matrix.applyReport('us-2', { links: [] }, now);
    expect(matrix.findings().filter((finding) => finding.type === LinkFindingType.Undeclared)).toEqual([]);
    expect(matrix.undeclaredLinkCount()).toBe(0);
  });
});

describe('when links into one region fail', () => {
  it('shows one partition and no per-link finding, and clears it when the links recover', () => {
    const matrix = newMatrix();
    const region = (name: string) => inventory.find((cluster) => cluster.name === name)!.region;
    reportAll(matrix, (from, to) => (region(to) === 'eu' && region(from) !== 'eu' ? LinkState.Stale : LinkState.Healthy));
    const analysis = analysePartitions(matrix.linkHealth(), topology.regionOf);
    const view = matrix.view({}, analysis);
    expect(view.partitions.map((finding) => finding.message)).toEqual(['region eu unreachable from 4 clusters']);
    expect(view.groups.flatMap((group) => group.findings)).toEqual([]);
    expect(matrix.findings().length).toBeGreaterThan(0);

    reportAll(matrix);
    expect(analysePartitions(matrix.linkHealth(), topology.regionOf).findings).toEqual([]);
  });
});

describe('the API view', () => {
  it('matches the response schema, with partitions and probe figures', () => {
    const matrix = newMatrix();
    reportAll(matrix, (from) => (from === 'us-2' ? LinkState.Unreachable : LinkState.Healthy), () => ({ probe: probe({ latencyMs: 12.5, certificateDaysLeft: 3 }) }));
    matrix.applyReport('ap-1', { links: [observation('legacy', LinkState.Healthy)] }, now);
    const view = matrix.view({}, analysePartitions(matrix.linkHealth(), topology.regionOf));
    compileValidator('link matrix', LinkMatrixResponseSchema).assert(view);
    expect(view.partitions.map((finding) => finding.message)).toEqual(['cluster us-2 cannot reach any peer']);
    expect(view.findings).toHaveLength(1);
  });
});

describe('view filters', () => {
  it.each([
    ['group core', { group: 'core' }, ['core'], 6],
    ['region ap', { region: 'ap' }, ['payments'], 18],
    ['state unreachable', { state: LinkState.Unreachable }, ['core', 'payments'], 1],
    ['state healthy', { state: LinkState.Healthy }, ['core', 'payments'], 35],
  ])('by %s', (_name, query, groups, cells) => {
    const matrix = newMatrix();
    reportAll(matrix, (from, to) => (from === 'eu-1' && to === 'ap-1' ? LinkState.Unreachable : LinkState.Healthy));
    const view = matrix.view(query);
    expect(view.groups.map((group) => group.group)).toEqual(groups);
    expect(view.groups.reduce((sum, group) => sum + group.cells.length, 0)).toBe(cells);
  });
});

describe('what a report changes for partition analysis', () => {
  it('says whether the links that fail changed', () => {
    const matrix = newMatrix();
    const body = (state: LinkState, latencyMs: number) => ({ links: allNames.filter((to) => to !== 'eu-1').map((to) => observation(to, state, { probe: probe({ latencyMs }) })) });
    expect(matrix.applyReport('eu-1', body(LinkState.Healthy, 10), now)).toBe(true);
    expect(matrix.applyReport('eu-1', body(LinkState.Healthy, 20), now)).toBe(false);
    expect(matrix.applyReport('eu-1', body(LinkState.Incomplete, 20), now)).toBe(false);
    expect(matrix.applyReport('eu-1', body(LinkState.Stale, 20), now)).toBe(true);
    expect(matrix.applyReport('eu-1', body(LinkState.Unreachable, 20), now)).toBe(false);
  });
});

describe('when reports arrive in any order', () => {
  it('ends as a matrix built from each cluster’s latest report alone, and names every finding it changed', () => {
    const states = [LinkState.Healthy, LinkState.Stale, LinkState.Unreachable, LinkState.OneSided, LinkState.Pending];
    const report = fc.record({
      from: fc.constantFrom(...allNames),
      // Peers outside the topology too: their links are undeclared findings.
      links: fc.array(fc.record({ to: fc.constantFrom(...allNames, 'outsider-1', 'outsider-2'), state: fc.constantFrom(...states), days: fc.option(fc.integer({ min: 0, max: 30 })) }), { maxLength: 8 }),
    });
    fc.assert(fc.property(fc.array(report, { minLength: 1, maxLength: 25 }), (reports) => {
      const incremental = newMatrix();
      const latest = new Map<string, Parameters<LinkMatrix['applyReport']>[1]>();
      // What a reader following only the changed findings sees: the matrix's findings, report after report.
      const followed = new Map<string, LinkFinding>();
      for (const { from, links } of reports) {
        const body = { links: links.filter((link) => link.to !== from).map((link) => observation(link.to, link.state, link.days === null ? {} : { probe: probe({ certificateDaysLeft: link.days }) })) };
        incremental.applyReport(from, body, now);
        latest.set(from, body);
        for (const id of incremental.takeChanged()) {
          const finding = incremental.finding(id);
          if (finding) followed.set(id, finding);
          else followed.delete(id);
        }
        expect(followed).toEqual(new Map(incremental.findings().map((finding) => [finding.id, finding])));
      }
      const fresh = newMatrix();
      for (const [from, body] of latest) fresh.applyReport(from, body, now);
      const sortFindings = (matrix: LinkMatrix) => matrix.findings().map((finding) => finding.id).sort();
      expect(incremental.view()).toEqual(fresh.view());
      expect(sortFindings(incremental)).toEqual(sortFindings(fresh));
      // The pair counts kept report by report give the partitions the link list gives.
      const kept = analysePairGraph(incremental.pairGraph(), topology.regionOf);
      const listed = analysePartitions(fresh.linkHealth(), topology.regionOf);
      expect(kept.findings).toEqual(listed.findings);
      expect([...kept.covered].sort()).toEqual([...listed.covered].sort());
    }), { numRuns: 80 });
  });
});
