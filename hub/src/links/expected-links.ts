import { LinkKind, type DirectedLink } from '@netfleet/shared/protocol/links';

/**
 * The links the fleet repository declares: every member of a mesh group links to every
 * other member, one IstioFederation / IstioMulticluster per peer, so a group of n clusters
 * declares n·(n−1) directed links. Observed links are matched to declared ones through
 * the peer's public domain (`https://istio.<publicDomain>/metadata/`).
 *
 * The inputs are the fields this module reads of the loaded fleet's `MeshGroup` and
 * `ClusterInfo` (shared/src/config/model.ts), so `fleet.meshGroups` and
 * `[...fleet.clusters.values()]` are passed as they are.
 */

/** A mesh group as the fleet repository declares it. */
export interface MeshGroupInput {
  name: string;
  type: 'federation' | 'multicluster';
  /** Member cluster names. */
  members: readonly string[];
}

/** One cluster of the inventory. */
export interface InventoryClusterInput {
  name: string;
  region: string;
  /** Peers reach this cluster's metadata at `istio.<publicDomain>`. */
  publicDomain: string;
}

/** A mesh group with its members in display order (region, then name). */
export interface ExpectedMeshGroup {
  name: string;
  kind: LinkKind;
  members: string[];
}

/** Declared mesh groups plus what is needed to place observed links in them. */
export interface LinkTopology {
  groups: ExpectedMeshGroup[];
  /** Region of each known cluster ('' for a member missing from the inventory). */
  regionOf: ReadonlyMap<string, string>;
  /** Public domain of each inventory cluster. */
  domainOf: ReadonlyMap<string, string>;
  /** Cluster name by public domain. */
  clusterByDomain: ReadonlyMap<string, string>;
}

const KIND_OF_TYPE: Record<MeshGroupInput['type'], LinkKind> = {
  federation: LinkKind.Federation,
  multicluster: LinkKind.Multicluster,
};

export function linkTopology(groups: readonly MeshGroupInput[], inventory: Iterable<InventoryClusterInput>): LinkTopology {
  const regionOf = new Map<string, string>();
  const domainOf = new Map<string, string>();
  const clusterByDomain = new Map<string, string>();
  for (const cluster of inventory) {
    regionOf.set(cluster.name, cluster.region);
    if (cluster.publicDomain) {
      domainOf.set(cluster.name, cluster.publicDomain);
      clusterByDomain.set(cluster.publicDomain, cluster.name);
    }
  }
  const expected = groups.map((group) => {
    // The repository loader rejects unknown members; a stale topology may still name one.
    for (const member of group.members) if (!regionOf.has(member)) regionOf.set(member, '');
    const members = [...new Set(group.members)].sort((a, b) => regionOf.get(a)!.localeCompare(regionOf.get(b)!) || a.localeCompare(b));
    return { name: group.name, kind: KIND_OF_TYPE[group.type], members };
  }).sort((a, b) => a.name.localeCompare(b.name));
  return { groups: expected, regionOf, domainOf, clusterByDomain };
}

/** Every directed link a group declares, row by row in member order. */
export function expectedLinks(group: Pick<ExpectedMeshGroup, 'members'>): DirectedLink[] {
  const links: DirectedLink[] = [];
  for (const from of group.members) {
    for (const to of group.members) if (from !== to) links.push({ from, to });
  }
  return links;
}
