import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeObject } from '@netfleet/shared';
import { LINK_API_VERSION } from '../../../agent/src/links/link-monitor.js';
import type { SimulatedCluster } from './simulated-fleet.js';

/**
 * Plays DKP's Istio hooks on a simulated cluster: writes, through the status subresource,
 * the metadata cache and fetch timestamps DKP keeps on each IstioFederation /
 * IstioMulticluster after exchanging metadata with the peer it points at.
 */

const KINDS = [['IstioFederation', 'istiofederations'], ['IstioMulticluster', 'istiomulticlusters']] as const;

/** How long ago DKP last fetched a peer's metadata: fresh, or 12 minutes (stale: DKP refreshes every minute). */
export const FRESH_MS = 5_000;
export const STALE_MS = 12 * 60_000;

/**
 * Writes the status of every link resource in `cluster` whose peer (the resource is named
 * after it) `ageOf` gives an age for; returns how many it wrote.
 */
export async function writeLinkStatuses(cluster: SimulatedCluster, ageOf: (peer: string) => number | undefined): Promise<number> {
  const custom = cluster.kube.kubeConfig().makeApiClient(CustomObjectsApi);
  let written = 0;
  for (const [kind, plural] of KINDS) {
    for (const object of (await cluster.client.list(LINK_API_VERSION, kind)).items) {
      const ageMs = ageOf(object.metadata.name);
      if (ageMs === undefined) continue;
      await custom.replaceClusterCustomObjectStatus({
        group: 'deckhouse.io', version: 'v1alpha1', plural, name: object.metadata.name,
        body: { ...object, status: statusOf(object, cluster, ageMs) },
      });
      written += 1;
    }
  }
  return written;
}

function statusOf(object: KubeObject, cluster: SimulatedCluster, ageMs: number): Record<string, unknown> {
  const fetchedAt = new Date(Date.now() - ageMs).toISOString();
  const gateways = [{ address: '203.0.113.5', port: 15443 }];
  return {
    metadataCache: {
      public: { clusterUUID: `uuid-${object.metadata.name}`, rootCA: 'ca', authnKeyPub: 'key' },
      publicLastFetchTimestamp: fetchedAt,
      private: object.kind === 'IstioFederation'
        ? { ingressGateways: gateways, publicServices: [] }
        : { apiHost: `istio-api.${cluster.info.publicDomain}`, networkName: cluster.info.name, ingressGateways: gateways },
      privateLastFetchTimestamp: fetchedAt,
    },
  };
}

/** How often DKP's hooks refresh a peer's metadata (every minute); the demo plays it twice as often. */
const REFRESH_INTERVAL_MS = 30_000;

/**
 * Keeps every link of the fleet fresh the way DKP's hooks do, so links stay healthy however
 * long the demo takes; `hold` stops refreshing the links to one peer (it went away), and
 * `release` resumes them.
 */
export class DkpLinkRefresher {
  readonly #held = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  #running: Promise<unknown> = Promise.resolve();

  constructor(private readonly clusters: readonly SimulatedCluster[]) {
    this.#timer = setInterval(() => {
      this.#running = this.refresh().catch(() => undefined); // a cluster being stopped; the next round catches up
    }, REFRESH_INTERVAL_MS);
  }

  /** Writes fresh metadata on every link whose peer is not held; returns how many it wrote. */
  async refresh(): Promise<number> {
    let written = 0;
    for (const cluster of this.clusters) written += await writeLinkStatuses(cluster, (peer) => (this.#held.has(peer) ? undefined : FRESH_MS));
    return written;
  }

  /** Stops refreshing the links to `peer`, once a refresh in flight is done (it may still write them). */
  async hold(peer: string): Promise<void> {
    this.#held.add(peer);
    await this.#running;
  }

  release(peer: string): void {
    this.#held.delete(peer);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
