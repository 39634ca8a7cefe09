import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, renderRepository, type Fleet, type KubeObject, type RenderResult } from '@netfleet/shared';
import { LinkFindingType, LinkState, type LinkObservation } from '@netfleet/shared/protocol/links';
import { LinkPresence, deriveLinkState, linkKindOf } from '../../agent/src/links/link-state.js';
import { expectedLinks, linkTopology } from '../../hub/src/links/expected-links.js';
import { FleetLinks } from '../../hub/src/links/fleet-links.js';

/**
 * The contract between the renderer, the agent's link states and the hub's matrix, on the
 * example fleet: the IstioFederation / IstioMulticluster objects each cluster renders,
 * observed by the agent with a healthy DKP status, fill exactly the links the hub expects
 * from the same repository's mesh groups and inventory.
 */

const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const now = new Date('2026-11-26T12:00:00Z');
const fresh = new Date(now.getTime() - 30_000).toISOString();

let fleet: Fleet;
let results: Map<string, RenderResult>;

beforeAll(async () => {
  ({ fleet, results } = await renderRepository(new FsRepoReader(EXAMPLE_FLEET)));
});

/** What DKP writes for a working link. */
function withHealthyStatus(object: KubeObject): KubeObject {
  const privateCache = object.kind === 'IstioFederation'
    ? { ingressGateways: [{ address: '203.0.113.9', port: 15443 }], publicServices: [] }
    : { apiHost: 'istio-api-proxy.example', networkName: 'net', ingressGateways: [{ address: '203.0.113.9', port: 15443 }] };
  return {
    ...object,
    metadata: { ...object.metadata, creationTimestamp: '2026-11-01T00:00:00Z' },
    status: { metadataCache: { public: { clusterUUID: `uuid-${object.metadata.name}` }, private: privateCache, publicLastFetchTimestamp: fresh, privateLastFetchTimestamp: fresh } },
  };
}

/** One cluster's link report, as its agent would send it. */
function reportOf(cluster: string, absent: ReadonlySet<string> = new Set()): { links: LinkObservation[] } {
  const info = fleet.clusters.get(cluster)!;
  const links = results.get(cluster)!.objects.flatMap(({ object }) => {
    const kind = linkKindOf(object.kind);
    if (!kind) return [];
    const presence = absent.has(object.metadata.name) ? LinkPresence.Absent : LinkPresence.Present;
    return [deriveLinkState(kind, withHealthyStatus(object), {
      localClusterDomain: info.clusterDomain, localPublicDomain: info.publicDomain, managed: true, now, presence,
    })];
  });
  return { links };
}

describe('when every cluster of the example fleet reports its rendered links as healthy', () => {
  it('fills every declared link of every mesh group, with nothing undeclared', () => {
    const topology = linkTopology(fleet.meshGroups, fleet.clusters.values());
    const links = new FleetLinks(topology);
    for (const cluster of results.keys()) links.ingest(cluster, reportOf(cluster), now);
    const view = links.view();
    expect(view.groups.map((group) => [group.group, group.counts.healthy])).toEqual(
      topology.groups.map((group) => [group.name, expectedLinks(group).length]),
    );
    expect(view.groups.every((group) => group.counts.healthy === group.cells.length)).toBe(true);
    expect(view.findings).toEqual([]);
    expect(view.partitions).toEqual([]);
  });
});

describe('when one member lacks the resource for a peer', () => {
  it('names the link as missing on that side', () => {
    const topology = linkTopology(fleet.meshGroups, fleet.clusters.values());
    const group = topology.groups.find((candidate) => candidate.kind === 'federation')!;
    const [first, second] = group.members as [string, string];
    const links = new FleetLinks(topology);
    for (const cluster of results.keys()) links.ingest(cluster, reportOf(cluster, cluster === first ? new Set([second]) : new Set()), now);
    const matrix = links.view({ group: group.name }).groups[0]!;
    expect(matrix.cells.find((cell) => cell.from === first && cell.to === second)?.state).toBe(LinkState.Missing);
    expect(matrix.findings.map((finding) => [finding.type, finding.clusters])).toEqual([[LinkFindingType.MissingOnOneSide, [first, second]]]);
  });
});
