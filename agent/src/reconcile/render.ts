import { loadFleet } from '@netfleet/shared/config/index';
import { render } from '@netfleet/shared/render/index';
import type { RenderFleet } from './source.js';

/** The renderer from `shared`: load the fleet, render one cluster (ConfigError lists every problem). */
export const renderCluster: RenderFleet = async (reader, cluster) => render(await loadFleet(reader), cluster);
