import { CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger, type KubeObject, type Logger } from '@netfleet/shared';
import type { LinkMatrixResponse, LinkReportBody } from '@netfleet/shared/protocol/links';
import { createTestCa, startMetadataPeer, type MetadataPeer } from '../metadata-peer.js';
import { LINK_API_VERSION, LinkMonitor, declaredLinkObjects, kubeLinkSource } from '../../../agent/src/links/link-monitor.js';
import { MetadataProber } from '../../../agent/src/links/probe.js';
import { linkTopology } from '../../../hub/src/links/expected-links.js';
import { FleetLinks, type LinkAlertChanges } from '../../../hub/src/links/fleet-links.js';
import type { SimulatedCluster, SimulatedFleet } from './simulated-fleet.js';

/**
 * Link health over the simulated fleet: every mesh-group member gets a metadata endpoint on
 * its own loopback address, the demo plays DKP by writing the status DKP's hooks write on
 * each IstioFederation / IstioMulticluster the agents applied (fresh metadata everywhere,
 * except that nobody has refreshed `stalePeer`'s for 12 minutes), each cluster's link
 * monitor observes and probes, and the hub's link health builds the matrix from the reports.
 */

const HEALTHY_AGE_MS = 20_000;
const STALE_AGE_MS = 12 * 60_000;

export interface LinkHealthRun {
  /** The matrix as `GET /api/v1/links` answers it. */
  view: LinkMatrixResponse;
  /** Findings that fired from these reports. */
  changes: LinkAlertChanges;
  /** Links each member reported. */
  reported: Map<string, number>;
  stop(): Promise<void>;
}

/** Runs one round of link reports; `stalePeer` is the member whose metadata DKP stopped refreshing. */
export async function runLinkHealth(sim: SimulatedFleet, stalePeer: string, logger: Logger = createLogger({ name: 'demo-links', level: 'warn' })): Promise<LinkHealthRun> {
  const members = [...new Set(sim.fleet.meshGroups.flatMap((group) => group.members))].filter((name) => sim.clusters.has(name)).sort();
  const ca = await createTestCa('netfleet demo CA');
  const peers: MetadataPeer[] = [];
  const stop = async () => {
    await Promise.all(peers.map((peer) => peer.stop()));
  };
  try {
    for (const [index, name] of members.entries()) {
      peers.push(await startMetadataPeer({ ca, domain: sim.fleet.clusters.get(name)!.publicDomain, address: `127.0.0.${90 + index}`, clusterUUID: `uuid-${name}` }));
    }
    const prober = new MetadataProber({ caBundle: ca.cert, timeoutMs: 5_000, connectTo: new Map(peers.map((peer) => [peer.hostname, { address: peer.address, port: peer.port }])) });
    // Only links between running clusters: in a reduced fleet the others have no cluster to point at.
    const topology = linkTopology(
      sim.fleet.meshGroups.map((group) => ({ ...group, members: group.members.filter((member) => sim.clusters.has(member)) })),
      [...sim.clusters.values()].map((cluster) => cluster.info),
    );
    const links = new FleetLinks(topology, { raiseAfterMs: 0 });
    const reports: Array<[string, LinkReportBody]> = [];
    for (const name of members) {
      const cluster = sim.clusters.get(name)!;
      // Link resources are named after the peer they point at.
      const declared = declaredLinkObjects(sim.rendered.get(name)!.objects).filter((object) => members.includes(object.metadata.name));
      for (const object of declared) await writeDkpStatus(cluster, object, object.metadata.name === stalePeer ? STALE_AGE_MS : HEALTHY_AGE_MS);
      const monitor = new LinkMonitor({
        source: kubeLinkSource(cluster.client),
        send: async () => undefined,
        localClusterDomain: cluster.info.clusterDomain,
        localPublicDomain: cluster.info.publicDomain,
        declared: () => declared,
        prober,
        logger,
      });
      reports.push([name, (await monitor.check()).body]);
    }
    // One round of reports judged together, as a hub that has them all; findings fire at once.
    const changes = links.ingestAll(reports, new Date());
    const reported = new Map(reports.map(([name, body]) => [name, body.links.length]));
    return { view: links.view(), changes, reported, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What DKP's hooks write after fetching the peer's public and private metadata `ageMs` ago. */
async function writeDkpStatus(cluster: SimulatedCluster, object: KubeObject, ageMs: number): Promise<void> {
  const fetchedAt = new Date(Date.now() - ageMs).toISOString();
  const gateways = [{ address: '203.0.113.5', port: 15443 }];
  const privateCache = object.kind === 'IstioFederation'
    ? { ingressGateways: gateways, publicServices: [] }
    : { apiHost: `istio-api.${cluster.info.publicDomain}`, networkName: cluster.info.name, ingressGateways: gateways };
  const live = await cluster.client.get({ apiVersion: LINK_API_VERSION, kind: object.kind, name: object.metadata.name });
  const plural = object.kind === 'IstioFederation' ? 'istiofederations' : 'istiomulticlusters';
  await cluster.kube.kubeConfig().makeApiClient(CustomObjectsApi).replaceClusterCustomObjectStatus({
    group: 'deckhouse.io', version: 'v1alpha1', plural, name: object.metadata.name,
    body: {
      ...live,
      status: {
        metadataCache: {
          public: { clusterUUID: `uuid-${object.metadata.name}`, rootCA: 'ca', authnKeyPub: 'key' },
          publicLastFetchTimestamp: fetchedAt,
          private: privateCache,
          privateLastFetchTimestamp: fetchedAt,
        },
      },
    },
  });
}
