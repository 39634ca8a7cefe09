import { describe, expect, it } from 'vitest';
import { LinkFindingType, LinkKind, LinkReason, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { linkTopology, type MeshGroupInput } from '../../src/links/expected-links.js';
import { FleetLinks } from '../../src/links/fleet-links.js';

const t0 = new Date('2026-11-26T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const inventory = ['eu-1', 'eu-2', 'us-1', 'us-2', 'ap-1', 'ap-2'].map((name) => ({ name, region: name.slice(0, 2), publicDomain: `${name}.example.com` }));
const names = inventory.map((cluster) => cluster.name);
const region = (name: string) => name.slice(0, 2);
const groups: MeshGroupInput[] = [
  { name: 'payments', type: 'federation', members: names },
  { name: 'core', type: 'multicluster', members: ['eu-1', 'eu-2', 'us-1', 'ap-1'] },
];
const topology = linkTopology(groups, inventory);

function reportOf(from: string, stateOf: (to: string) => LinkState) {
  const links: LinkObservation[] = topology.groups.filter((group) => group.members.includes(from)).flatMap((group) => group.members
    .filter((to) => to !== from)
    .map((to) => {
      const state = stateOf(to);
      return {
        kind: group.kind, name: to, managed: true, metadataEndpoint: `https://istio.${to}.example.com/metadata/`, peerDomain: `${to}.example.com`,
        state, reason: state === LinkState.Healthy ? LinkReason.ExchangeSucceeded : LinkReason.PublicMetadataStale, message: `${state}`,
      };
    }));
  return { links };
}

/** Every cluster reports, one second apart; returns every alert change on the way. */
function reportRound(links: FleetLinks, start: number, stateOf: (from: string, to: string) => LinkState) {
  const raised: string[] = [];
  const resolved: string[] = [];
  names.forEach((from, index) => {
    const changes = links.ingest(from, reportOf(from, (to) => stateOf(from, to)), at(start + index));
    raised.push(...changes.raised.map((finding) => finding.message));
    resolved.push(...changes.resolved.map((finding) => finding.message));
  });
  return { raised, resolved };
}

const healthy = () => LinkState.Healthy;
const intoEuCut = (from: string, to: string) => (region(to) === 'eu' && region(from) !== 'eu' ? LinkState.Stale : LinkState.Healthy);

describe('when every link into one region is cut', () => {
  it('fires exactly one partition alert, none per link, and resolves it when the links come back', () => {
    // Analysed after every report, so the holds alone set the timing here.
    const links = new FleetLinks(topology, { analysisIntervalMs: 0 });
    expect(reportRound(links, 0, healthy)).toEqual({ raised: [], resolved: [] });

    expect(reportRound(links, 60, intoEuCut)).toEqual({ raised: [], resolved: [] });
    const fired = links.tick(at(60 + 180));
    expect(fired.raised.map((finding) => finding.message)).toEqual(['region eu unreachable from 4 clusters']);
    expect(links.firing()).toHaveLength(1);
    expect(links.tick(at(60 + 600))).toEqual({ raised: [], resolved: [] });

    const view = links.view();
    expect(view.partitions).toHaveLength(1);
    expect(view.groups.flatMap((group) => group.findings)).toEqual([]);

    // Resolution waits one report interval; the alert carries its latest wording.
    expect(reportRound(links, 900, healthy)).toEqual({ raised: [], resolved: [] });
    expect(links.tick(at(930)).resolved).toEqual([]);
    expect(links.tick(at(970)).resolved.map((finding) => finding.message)).toEqual(['region eu unreachable from 2 clusters']);
    expect(links.firing()).toEqual([]);
    expect(links.tick(at(2000))).toEqual({ raised: [], resolved: [] });
  });
});

describe('when reports come faster than the partition analysis runs', () => {
  it('judges them against the last analysis, and analyses them once the interval since it has passed', () => {
    const links = new FleetLinks(topology, { analysisIntervalMs: 30_000 });
    reportRound(links, 0, healthy);
    reportRound(links, 10, intoEuCut);
    expect(links.view().partitions).toEqual([]);
    links.tick(at(29));
    expect(links.view().partitions).toEqual([]);
    links.tick(at(30));
    expect(links.view().partitions.map((partition) => partition.message)).toEqual(['region eu unreachable from 4 clusters']);
  });
});

describe('when one link breaks', () => {
  it('fires a per-link alert after it lasts, and drops it silently if it heals before', () => {
    const links = new FleetLinks(topology, { raiseAfterMs: 120_000 });
    reportRound(links, 0, healthy);
    links.ingest('us-1', reportOf('us-1', (to) => (to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy)), at(100));
    expect(links.tick(at(150)).raised).toEqual([]);
    links.ingest('us-1', reportOf('us-1', healthy), at(160));
    expect(links.tick(at(400))).toEqual({ raised: [], resolved: [] });

    links.ingest('us-1', reportOf('us-1', (to) => (to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy)), at(500));
    const fired = links.tick(at(700)).raised;
    expect(fired.map((finding) => ('type' in finding ? finding.type : ''))).toEqual([LinkFindingType.Asymmetric, LinkFindingType.Asymmetric]);
    expect(fired.map((finding) => finding.id).sort()).toEqual(['link:core:us-1:eu-1', 'link:payments:us-1:eu-1']);
  });
});

describe('when a declared link is missing on one peer', () => {
  it('reports it as such in the matrix', () => {
    const links = new FleetLinks(topology);
    reportRound(links, 0, healthy);
    const withoutUs2 = reportOf('ap-2', healthy);
    withoutUs2.links = withoutUs2.links.filter((link) => link.peerDomain !== 'us-2.example.com');
    links.ingest('ap-2', withoutUs2, at(30));
    const payments = links.view({ group: 'payments' }).groups[0]!;
    expect(payments.cells.find((cell) => cell.from === 'ap-2' && cell.to === 'us-2')?.state).toBe(LinkState.Missing);
    expect(payments.findings.map((finding) => finding.message)).toEqual(['us-2 has its IstioFederation for ap-2, but ap-2 has none for us-2']);
  });
});

describe('when the topology changes', () => {
  it('replays the latest reports against the new mesh groups', () => {
    const links = new FleetLinks(topology);
    reportRound(links, 0, healthy);
    links.setTopology(linkTopology([groups[0]!], inventory), at(100));
    const view = links.view();
    expect(view.groups.map((group) => [group.group, group.counts.healthy])).toEqual([['payments', 30]]);
    expect(view.findings.map((finding) => finding.type)).toEqual(Array(12).fill(LinkFindingType.Undeclared));
  });

  it('keeps a built view until the next report', () => {
    const links = new FleetLinks(topology);
    reportRound(links, 0, healthy);
    const first = links.view({ group: 'core' });
    expect(links.view({ group: 'core' })).toBe(first);
    expect(links.view({ group: 'payments' })).not.toBe(first);
    links.ingest('us-1', reportOf('us-1', (to) => (to === 'eu-1' ? LinkState.Unreachable : LinkState.Healthy)), at(10));
    const next = links.view({ group: 'core' });
    expect(next).not.toBe(first);
    expect(next.groups[0]!.counts.unreachable).toBe(1);
  });

  it('lists one cluster’s links and counts links by state', () => {
    const links = new FleetLinks(topology);
    reportRound(links, 0, intoEuCut);
    expect(links.clusterLinks('us-1')).toMatchObject({ cluster: 'us-1', reportedAt: at(2).toISOString() });
    expect(links.clusterLinks('us-1')!.links.filter((link) => link.kind === LinkKind.Multicluster)).toHaveLength(3);
    expect(links.clusterLinks('nowhere')).toBeUndefined();
    expect(links.countsByState()).toMatchObject({ healthy: 30, stale: 12 });
  });
});

describe('when the rollout gate asks which links touching a cluster fail', () => {
  it('lists the cluster\'s own failing links and its peers\' links towards it, with since when they fail', () => {
    const links = new FleetLinks(topology);
    reportRound(links, 0, healthy);
    links.ingest('eu-1', reportOf('eu-1', (to) => (to === 'us-1' ? LinkState.Unreachable : LinkState.Healthy)), at(10), { 'federation/us-1': 1_000, 'multicluster/us-1': 2_000 });
    links.ingest('ap-2', reportOf('ap-2', (to) => (to === 'eu-1' ? LinkState.OneSided : LinkState.Healthy)), at(11), { 'federation/eu-1': 3_000 });

    const simplified = (cluster: string) => links.linkFailures(cluster).map(({ from, to, kind, state, since }) => [from, to, kind, state, since]);
    expect(simplified('eu-1')).toEqual([
      ['eu-1', 'us-1', LinkKind.Multicluster, LinkState.Unreachable, 2_000],
      ['eu-1', 'us-1', LinkKind.Federation, LinkState.Unreachable, 1_000],
      ['ap-2', 'eu-1', LinkKind.Federation, LinkState.OneSided, 3_000],
    ]);
    expect(simplified('us-1')).toEqual([
      ['eu-1', 'us-1', LinkKind.Multicluster, LinkState.Unreachable, 2_000],
      ['eu-1', 'us-1', LinkKind.Federation, LinkState.Unreachable, 1_000],
    ]);
    expect(simplified('us-2')).toEqual([]);

    // A failure whose start the hub never recorded counts as an old one.
    links.ingest('us-2', reportOf('us-2', (to) => (to === 'ap-1' ? LinkState.Stale : LinkState.Healthy)), at(12));
    expect(simplified('ap-1')).toEqual([['us-2', 'ap-1', LinkKind.Federation, LinkState.Stale, 0]]);

    // A recovered link, and a cluster that left the fleet, no longer count.
    links.ingest('eu-1', reportOf('eu-1', healthy), at(20));
    expect(simplified('us-1')).toEqual([]);
    links.forget('ap-2', at(21));
    expect(simplified('eu-1')).toEqual([]);
    expect(links.clusterLinks('ap-2')).toMatchObject({ reportedAt: null, links: [] });
  });
});
