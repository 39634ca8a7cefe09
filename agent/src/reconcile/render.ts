import { loadFleet } from '@netfleet/shared/config/index';
import { render } from '@netfleet/shared/render/index';
import type { RenderFleet } from './source.js';

/**
 * The renderer from `shared`: load the fleet, render one cluster (ConfigError lists every
 * problem), with the cluster's inventory entry (link health needs its domains).
 */
export const renderCluster: RenderFleet = async (reader, cluster) => {
  const fleet = await loadFleet(reader);
  const result = render(fleet, cluster);
  const info = fleet.clusters.get(cluster);
  return info ? { ...result, identity: { region: info.region, publicDomain: info.publicDomain, clusterDomain: info.clusterDomain } } : result;
};
