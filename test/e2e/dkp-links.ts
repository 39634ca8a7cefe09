/**
 * Plays DKP's part for link health in end-to-end tests: writes the status DKP's discovery
 * hooks leave on IstioFederation / IstioMulticluster resources after exchanging metadata
 * with a peer (the timestamps form), through the status subresource.
 */
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { KubeObject } from '@netfleet/shared';
import type { KubeApiServer } from '../src/kube/server.js';
import { LINK_API_VERSION } from '../../agent/src/links/link-monitor.js';
import { clientFor } from '../../agent/test/harness.js';

/** healthy: fetched 5 s ago; stale: last fetched 12 minutes ago (over the 3-minute threshold). */
export type DkpLinkStatus = 'healthy' | 'stale';

/** The status of a link resource named after `peer` (resources are named after their peer). */
export function dkpLinkStatus(kind: string, peer: string, status: DkpLinkStatus): Record<string, unknown> {
  const gateways = [{ address: '203.0.113.5', port: 15443 }];
  const fetchedAt = new Date(Date.now() - (status === 'stale' ? 12 * 60_000 : 5_000)).toISOString();
  return {
    metadataCache: {
      public: { clusterUUID: `uuid-${peer}`, rootCA: 'ca', authnKeyPub: 'key' },
      publicLastFetchTimestamp: fetchedAt,
      private: kind === 'IstioFederation'
        ? { ingressGateways: gateways, publicServices: [] }
        : { apiHost: 'istio-api-proxy.example', networkName: 'nyc', ingressGateways: gateways },
      privateLastFetchTimestamp: fetchedAt,
    },
  };
}

/** Every IstioFederation and IstioMulticluster in the cluster. */
export async function linkObjects(kube: KubeApiServer): Promise<KubeObject[]> {
  const client = clientFor(kube);
  const lists = await Promise.all(['IstioFederation', 'IstioMulticluster'].map((kind) => client.list(LINK_API_VERSION, kind)));
  return lists.flatMap((list) => list.items);
}

/** Writes `status` on every link resource of the cluster that points at one of `peers`. */
export async function writeLinkStatuses(kube: KubeApiServer, peers: readonly string[], status: DkpLinkStatus): Promise<void> {
  const custom = kube.kubeConfig().makeApiClient(CustomObjectsApi);
  for (const object of (await linkObjects(kube)).filter((candidate) => peers.includes(candidate.metadata.name))) {
    await custom.replaceClusterCustomObjectStatus({
      group: 'deckhouse.io', version: 'v1alpha1', plural: object.kind === 'IstioFederation' ? 'istiofederations' : 'istiomulticlusters',
      name: object.metadata.name, body: { ...object, status: dkpLinkStatus(object.kind, object.metadata.name, status) },
    });
  }
}
