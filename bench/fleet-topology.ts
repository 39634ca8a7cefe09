/**
 * The simulated fleet of `bench:hub` part `fleet`, shared by its processes: cluster names and
 * regions (the regions alternate by index), and federation mesh groups of 5 clusters of one
 * region, which the hub is given as its fleet revision's topology and within which each
 * cluster reports its links.
 */
import type { FleetTopologyInput } from '../hub/src/links/expected-links.js';

export const REGIONS = ['eu', 'us', 'ap', 'sa', 'af'];
const GROUP_SIZE = 5;

export const clusterName = (index: number) => `c-${String(index).padStart(5, '0')}`;
export const regionOf = (index: number) => REGIONS[index % REGIONS.length]!;

/** The indexes of cluster `index`'s mesh group in a fleet of `count`. */
function groupOf(index: number, count: number): number[] {
  const region = index % REGIONS.length;
  const position = Math.floor(index / REGIONS.length);
  const first = position - (position % GROUP_SIZE);
  return Array.from({ length: GROUP_SIZE }, (_, offset) => region + REGIONS.length * (first + offset)).filter((member) => member < count);
}

/** The other members of cluster `index`'s mesh group: the peers it links to. */
export function peersOf(index: number, count: number): number[] {
  return groupOf(index, count).filter((member) => member !== index);
}

/** The fleet revision's topology: every cluster with its public domain, and the mesh groups. */
export function fleetTopology(count: number): FleetTopologyInput {
  const clusters = new Map(Array.from({ length: count }, (_, index) => {
    const name = clusterName(index);
    return [name, { name, region: regionOf(index), publicDomain: `${name}.example.com` }];
  }));
  const meshGroups = [];
  for (let index = 0; index < count; index += 1) {
    const members = groupOf(index, count);
    if (members[0] === index) meshGroups.push({ name: `mesh-${clusterName(index)}`, type: 'federation' as const, members: members.map(clusterName) });
  }
  return { meshGroups, clusters };
}
