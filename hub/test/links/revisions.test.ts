import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinkFindingType, LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import {
  composeTopology, expectedLinks, type FleetTopologyInput, type InventoryClusterInput, type LinkTopology, type MeshGroupInput,
} from '../../src/links/expected-links.js';
import { LinkMatrix } from '../../src/links/matrix.js';
import { analysePairGraph, analysePartitions } from '../../src/links/partitions.js';

/**
 * Expected links during a rollout: each cluster's row is what its own applied revision
 * declares. Revision N adds ap-1 to the payments group and removes us-2 from core.
 */

const now = new Date('2026-11-26T12:00:00Z');
const cluster = (name: string, publicDomain = `${name}.example.com`): InventoryClusterInput => ({ name, region: name.slice(0, 2), publicDomain });
const inventory = ['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1'].map((name) => cluster(name));

function fleet(groups: readonly MeshGroupInput[], clusters: InventoryClusterInput[] = inventory): FleetTopologyInput {
  return { meshGroups: groups, clusters: new Map(clusters.map((entry) => [entry.name, entry])) };
}

const previous = fleet([
  { name: 'payments', type: 'federation', members: ['eu-1', 'eu-2', 'us-1', 'us-2'] },
  { name: 'core', type: 'multicluster', members: ['eu-1', 'eu-2', 'us-2'] },
]);
const head = fleet([
  { name: 'payments', type: 'federation', members: ['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1'] },
  { name: 'core', type: 'multicluster', members: ['eu-1', 'eu-2'] },
]);

/** eu-1 and ap-1 run the head (N); the others still run N-1. */
const onPrevious = ['eu-2', 'us-1', 'us-2'];
const midRollout = () => composeTopology(head, new Map(onPrevious.map((name) => [name, previous])));

function observation(to: string, state: LinkState, kind = LinkKind.Federation): LinkObservation {
  return {
    kind, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
    state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.NeverFetched, message: `${state} link to ${to}`,
  };
}

/** Every cluster reports the links its own revision gave it, in `stateOf`'s state (undefined: resource absent). */
function reportAsDeclared(matrix: LinkMatrix, topology: LinkTopology, stateOf: (from: string, to: string) => LinkState | undefined = () => LinkState.Healthy): void {
  for (const { name: from } of inventory) {
    const links = topology.groups.flatMap((group) => [...(group.declared.get(from) ?? [])]
      .filter((to) => to !== from)
      .flatMap((to) => {
        const state = stateOf(from, to);
        return state ? [observation(to, state, group.kind)] : [];
      }));
    matrix.applyReport(from, { links }, now);
  }
}

const groupView = (matrix: LinkMatrix, group: string) => matrix.view({ group }).groups[0]!;
const cellOf = (matrix: LinkMatrix, group: string, from: string, to: string) => groupView(matrix, group).cells.find((cell) => cell.from === from && cell.to === to);
const pairTotal = (matrix: LinkMatrix, from: string, to: string) => {
  const graph = matrix.pairGraph();
  return graph.total.get(graph.names.indexOf(from) * graph.names.length + graph.names.indexOf(to)) ?? 0;
};

describe('composing the topology of a fleet mid-rollout', () => {
  it('declares each row from its own cluster’s revision, over the union of the members', () => {
    const topology = midRollout();
    const payments = topology.groups.find((group) => group.name === 'payments')!;
    expect(payments.members).toEqual(['ap-1', 'eu-1', 'eu-2', 'us-1', 'us-2']);
    const links = expectedLinks(payments).map(({ from, to }) => `${from}→${to}`);
    expect(links).toContain('eu-1→ap-1');
    expect(links).toContain('ap-1→us-1');
    expect(links).not.toContain('us-1→ap-1');
    expect(links).toHaveLength(4 + 4 + 3 * 3);
    const core = topology.groups.find((group) => group.name === 'core')!;
    expect(core.members).toEqual(['eu-1', 'eu-2', 'us-2']);
    expect(expectedLinks(core).map(({ from, to }) => `${from}→${to}`)).toEqual(['eu-1→eu-2', 'eu-2→eu-1', 'eu-2→us-2', 'us-2→eu-1', 'us-2→eu-2']);
  });

  it('is the head’s topology when every cluster runs one revision', () => {
    const all = composeTopology(head, new Map(inventory.map(({ name }) => [name, previous])));
    expect(all.groups.map((group) => [group.name, group.members, expectedLinks(group).length])).toEqual([
      ['core', ['eu-1', 'eu-2', 'us-2'], 6], ['payments', ['eu-1', 'eu-2', 'us-1', 'us-2'], 12],
    ]);
    expect(composeTopology(head, new Map()).groups.map((group) => expectedLinks(group).length)).toEqual([2, 20]);
  });

  it('keeps the inventory of every revision in use, the head winning on conflicts', () => {
    const older = fleet(previous.meshGroups, [...inventory.filter(({ name }) => name !== 'eu-2'), cluster('eu-2', 'old.example.com'), cluster('sa-1')]);
    const topology = composeTopology(head, new Map([['us-1', older]]));
    expect(topology.regionOf.get('sa-1')).toBe('sa');
    expect(topology.domainOf.get('eu-2')).toBe('eu-2.example.com');
    expect(topology.clusterByDomain.get('old.example.com')).toBe('eu-2');
  });
});

describe('when a group gains a member some clusters do not run yet', () => {
  it('shows no missing link from the clusters on the previous revision, and the real state from those on the new one', () => {
    const topology = midRollout();
    const matrix = new LinkMatrix(topology, { now: () => now });
    // ap-1's peers still on N-1 do not trust it yet: its links to them stay one-sided.
    reportAsDeclared(matrix, topology, (from, to) => (from === 'ap-1' && onPrevious.includes(to) ? LinkState.OneSided : LinkState.Healthy));
    expect(cellOf(matrix, 'payments', 'us-1', 'ap-1')).toBeUndefined();
    expect(cellOf(matrix, 'payments', 'eu-1', 'ap-1')).toMatchObject({ state: LinkState.Healthy });
    expect(cellOf(matrix, 'payments', 'ap-1', 'us-1')).toMatchObject({ state: LinkState.OneSided });
    const payments = groupView(matrix, 'payments');
    expect(payments.counts).toMatchObject({ healthy: 14, 'one-sided': 3, missing: 0, unknown: 0 });
    expect(payments.cells).toHaveLength(17);
    expect(payments.findings.map((finding) => finding.id).sort()).toEqual(['link:payments:ap-1:eu-2', 'link:payments:ap-1:us-1', 'link:payments:ap-1:us-2']);
    expect(pairTotal(matrix, 'us-1', 'ap-1')).toBe(0);
    expect(pairTotal(matrix, 'ap-1', 'us-1')).toBe(1);
  });

  it('names a link missing at a cluster on the new revision', () => {
    const topology = midRollout();
    const matrix = new LinkMatrix(topology, { now: () => now });
    reportAsDeclared(matrix, topology, (from, to) => (from === 'eu-1' && to === 'ap-1' ? undefined : LinkState.Healthy));
    expect(cellOf(matrix, 'payments', 'eu-1', 'ap-1')).toMatchObject({ state: LinkState.Missing });
    expect(groupView(matrix, 'payments').findings.map((finding) => [finding.type, finding.clusters.join(',')])).toEqual([
      [LinkFindingType.MissingOnOneSide, 'eu-1,ap-1'],
    ]);
  });

  it('names a link its source lacks as missing on one side only, when the peer’s revision declares none back', () => {
    const topology = midRollout();
    const matrix = new LinkMatrix(topology, { now: () => now });
    reportAsDeclared(matrix, topology, (from, to) => (from === 'ap-1' && to === 'us-1' ? undefined : LinkState.Healthy));
    const [finding, ...rest] = groupView(matrix, 'payments').findings;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ type: LinkFindingType.MissingOnOneSide, links: [{ from: 'ap-1', to: 'us-1' }] });
    expect(finding!.message).toBe('ap-1 has no IstioFederation for us-1 although mesh group payments declares it');
  });

  it('counts in the partition analysis only the links each cluster’s revision declares', () => {
    // ap-1's peers on N cannot reach it; us-1 and us-2, still on N-1, have no link to it at all.
    const topology = composeTopology(head, new Map(['us-1', 'us-2'].map((name) => [name, previous])));
    const stateOf = (from: string, to: string) => (to === 'ap-1' ? LinkState.Unreachable : LinkState.Healthy);
    const matrix = new LinkMatrix(topology, { now: () => now });
    reportAsDeclared(matrix, topology, stateOf);
    expect([pairTotal(matrix, 'us-1', 'ap-1'), pairTotal(matrix, 'eu-1', 'ap-1')]).toEqual([0, 1]);
    const options = { minShare: 0.6 };
    expect(analysePairGraph(matrix.pairGraph(), topology.regionOf, options).findings.map((finding) => finding.message)).toEqual(['cluster ap-1 unreachable from 2 clusters']);
    // Judged by the head alone, us-1 and us-2 would count as peers whose (missing) links work.
    const headOnly = composeTopology(head, new Map());
    const judgedByHead = new LinkMatrix(headOnly, { now: () => now });
    reportAsDeclared(judgedByHead, topology, stateOf);
    expect(pairTotal(judgedByHead, 'us-1', 'ap-1')).toBe(1);
    expect(analysePairGraph(judgedByHead.pairGraph(), headOnly.regionOf, options).findings).toEqual([]);
  });
});

describe('when a group loses a member', () => {
  it('no longer expects it from the clusters on the new revision, while those on the previous one still do', () => {
    const topology = midRollout();
    const matrix = new LinkMatrix(topology, { now: () => now });
    // us-2 (N-1) still has its link to eu-1, which dropped it: stale.
    reportAsDeclared(matrix, topology, (from, to) => (from === 'us-2' && to === 'eu-1' ? LinkState.Stale : LinkState.Healthy));
    expect(cellOf(matrix, 'core', 'eu-1', 'us-2')).toBeUndefined();
    expect(cellOf(matrix, 'core', 'eu-2', 'us-2')).toMatchObject({ state: LinkState.Healthy });
    expect(cellOf(matrix, 'core', 'us-2', 'eu-1')).toMatchObject({ state: LinkState.Stale });
    expect(groupView(matrix, 'core').findings.map((finding) => finding.id)).toEqual(['link:core:us-2:eu-1']);
    expect(pairTotal(matrix, 'eu-1', 'us-2')).toBe(1);
    expect(pairTotal(matrix, 'us-2', 'eu-1')).toBe(2);
  });

  it('shows a link the new revision dropped but the cluster still has, as reported, until it goes', () => {
    const topology = midRollout();
    const matrix = new LinkMatrix(topology, { now: () => now });
    reportAsDeclared(matrix, topology);
    const leftover = observation('us-2', LinkState.Healthy, LinkKind.Multicluster);
    const eu1 = { links: [...['eu-2', 'us-1', 'us-2', 'ap-1'].map((to) => observation(to, LinkState.Healthy)), observation('eu-2', LinkState.Healthy, LinkKind.Multicluster), leftover] };
    matrix.applyReport('eu-1', eu1, now);
    expect(cellOf(matrix, 'core', 'eu-1', 'us-2')).toMatchObject({ state: LinkState.Healthy });
    expect(pairTotal(matrix, 'eu-1', 'us-2')).toBe(2);
    expect(matrix.findings()).toEqual([]);

    matrix.applyReport('eu-1', { links: eu1.links.filter((link) => link !== leftover) }, now);
    expect(cellOf(matrix, 'core', 'eu-1', 'us-2')).toBeUndefined();
    expect(pairTotal(matrix, 'eu-1', 'us-2')).toBe(1);
    expect(groupView(matrix, 'core').counts).toMatchObject({ healthy: 5, missing: 0 });
  });

  it('calls a leftover link undeclared once no cluster runs a revision that has the member', () => {
    const topology = composeTopology(head, new Map());
    const matrix = new LinkMatrix(topology, { now: () => now });
    matrix.applyReport('us-2', { links: [observation('eu-1', LinkState.Stale, LinkKind.Multicluster)] }, now);
    expect(matrix.findings().filter((finding) => finding.group === '').map((finding) => finding.message)).toEqual([
      'us-2 has IstioMulticluster eu-1 (https://istio.eu-1.example.com/metadata/) that no mesh group declares',
    ]);
    expect(groupView(matrix, 'core').cells.map((cell) => `${cell.from}→${cell.to}`)).toEqual(['eu-1→eu-2', 'eu-2→eu-1']);
  });
});

describe('when reports arrive in any order mid-rollout', () => {
  it('ends as a matrix built from each cluster’s latest report alone, with the pair counts of the link list', () => {
    const names = inventory.map(({ name }) => name);
    const states = [LinkState.Healthy, LinkState.Stale, LinkState.Unreachable, LinkState.OneSided];
    const scenario = fc.record({
      revisions: fc.record(Object.fromEntries(names.map((name) => [name, fc.boolean()]))),
      reports: fc.array(fc.record({
        from: fc.constantFrom(...names),
        links: fc.array(fc.record({ to: fc.constantFrom(...names), state: fc.constantFrom(...states), multicluster: fc.boolean() }), { maxLength: 8 }),
      }), { minLength: 1, maxLength: 25 }),
    });
    fc.assert(fc.property(scenario, ({ revisions, reports }) => {
      const topology = composeTopology(head, new Map(names.filter((name) => revisions[name]).map((name) => [name, previous])));
      const incremental = new LinkMatrix(topology, { now: () => now });
      const latest = new Map<string, Parameters<LinkMatrix['applyReport']>[1]>();
      for (const { from, links } of reports) {
        const body = { links: links.filter((link) => link.to !== from).map((link) => observation(link.to, link.state, link.multicluster ? LinkKind.Multicluster : LinkKind.Federation)) };
        incremental.applyReport(from, body, now);
        latest.set(from, body);
      }
      const fresh = new LinkMatrix(topology, { now: () => now });
      for (const [from, body] of latest) fresh.applyReport(from, body, now);
      expect(incremental.view()).toEqual(fresh.view());
      const kept = analysePairGraph(incremental.pairGraph(), topology.regionOf);
      const listed = analysePartitions(fresh.linkHealth(), topology.regionOf);
      expect(kept.findings).toEqual(listed.findings);
      expect([...kept.covered].sort()).toEqual([...listed.covered].sort());
      for (const group of incremental.view().groups) {
        const cells = group.cells.length;
        expect(Object.values(group.counts).reduce((sum, count) => sum + count, 0)).toBe(cells);
      }
    }), { numRuns: 80 });
  });
});
