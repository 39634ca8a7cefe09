import { LinkKind, type DirectedLink } from '@netfleet/shared/protocol/links';

/**
 * The links the fleet repository declares: every member of a mesh group links to every
 * other member, one IstioFederation / IstioMulticluster per peer, so a group of n clusters
 * declares n·(n−1) directed links. Observed links are matched to declared ones through
 * the peer's public domain (`https://istio.<publicDomain>/metadata/`).
 *
 * During a rollout clusters run different revisions, so each cluster's links are the ones
 * its own applied revision declares ({@link composeTopology}): a cluster still on the old
 * revision expects no link to a member the new one adds, and one on the new revision no
 * longer expects a member it removes.
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

/** The fleet repository's parts a topology is built from, at one revision (`loadFleet`'s result fits). */
export interface FleetTopologyInput {
  meshGroups: readonly MeshGroupInput[];
  clusters: ReadonlyMap<string, InventoryClusterInput>;
}

/** A mesh group with its members in display order (region, then name). */
export interface ExpectedMeshGroup {
  name: string;
  kind: LinkKind;
  /** Every cluster some member's revision places in the group. */
  members: string[];
  /**
   * Per member, the group's members at that member's applied revision: its row declares a
   * link to each of them but itself. A member its own revision leaves out of the group
   * declares nothing (its links show only when it reports them).
   */
  declared: ReadonlyMap<string, ReadonlySet<string>>;
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

/** The topology of one revision, as when every cluster runs it. */
export function linkTopology(groups: readonly MeshGroupInput[], inventory: Iterable<InventoryClusterInput>): LinkTopology {
  return composeTopology({ meshGroups: groups, clusters: new Map([...inventory].map((cluster) => [cluster.name, cluster])) }, new Map());
}

/**
 * The topology of a fleet whose clusters run different revisions. `fleetOf` holds the
 * fleet at each cluster's applied revision; a cluster it leaves out (revision unknown or
 * not loaded yet) is judged by `head`. A member's row declares what its own revision
 * declares; a group's grid is every cluster some row declares. The inventory (regions,
 * domains) is the union over the revisions in use, the head winning on conflicts. A group
 * whose kind changed between revisions keeps the head's kind; rows of the other kind are
 * left out (their links then show as undeclared).
 */
export function composeTopology(head: FleetTopologyInput, fleetOf: ReadonlyMap<string, FleetTopologyInput>): LinkTopology {
  const older = [...new Set(fleetOf.values())].filter((fleet) => fleet !== head);
  const regionOf = new Map<string, string>();
  const domainOf = new Map<string, string>();
  const clusterByDomain = new Map<string, string>();
  for (const fleet of [...older, head]) {
    for (const cluster of fleet.clusters.values()) {
      regionOf.set(cluster.name, cluster.region);
      if (cluster.publicDomain) {
        domainOf.set(cluster.name, cluster.publicDomain);
        clusterByDomain.set(cluster.publicDomain, cluster.name);
      }
    }
  }
  const composed = new Map<string, { type: MeshGroupInput['type']; declared: Map<string, ReadonlySet<string>> }>();
  for (const fleet of [head, ...older]) {
    for (const group of fleet.meshGroups) {
      let entry = composed.get(group.name);
      if (!entry) composed.set(group.name, (entry = { type: group.type, declared: new Map() }));
      if (entry.type !== group.type) continue;
      const members: ReadonlySet<string> = new Set(group.members);
      for (const member of members) if ((fleetOf.get(member) ?? head) === fleet) entry.declared.set(member, members);
    }
  }
  const groups: ExpectedMeshGroup[] = [];
  for (const [name, { type, declared }] of composed) {
    if (declared.size === 0) continue;
    const grid = new Set([...declared.values()].flatMap((members) => [...members]));
    // The repository loader rejects unknown members; a stale topology may still name one.
    for (const member of grid) if (!regionOf.has(member)) regionOf.set(member, '');
    const members = [...grid].sort((a, b) => regionOf.get(a)!.localeCompare(regionOf.get(b)!) || a.localeCompare(b));
    groups.push({ name, kind: KIND_OF_TYPE[type], members, declared });
  }
  groups.sort((a, b) => a.name.localeCompare(b.name));
  return { groups, regionOf, domainOf, clusterByDomain };
}

/** Every directed link a group declares, row by row in member order. */
export function expectedLinks(group: Pick<ExpectedMeshGroup, 'members' | 'declared'>): DirectedLink[] {
  const links: DirectedLink[] = [];
  for (const from of group.members) {
    const peers = group.declared.get(from);
    for (const to of group.members) if (from !== to && peers?.has(to)) links.push({ from, to });
  }
  return links;
}
