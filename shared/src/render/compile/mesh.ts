import { DEFAULT_APPLY_POLICY, type ClusterInfo, type TypedDocument } from '../../config/model.js';
import { compact, metadataOf, type Origin, type RenderContext } from '../context.js';
import { mergePolicy, type Effective } from '../effective.js';

/** The metadata endpoint DKP serves for a cluster, built from its public domain. */
export function metadataEndpoint(cluster: ClusterInfo): string {
  return `https://istio.${cluster.publicDomain}/metadata/`;
}

/**
 * MeshGroup → on a member, one IstioFederation (trust domain = the peer's clusterDomain)
 * or IstioMulticluster per other member, named after the peer; plus the istio module flag.
 */
export function compileMeshGroup(context: RenderContext, { source, document }: TypedDocument<'MeshGroup'>): void {
  const spec = document.spec;
  if (!spec.members.includes(context.cluster.name)) return;
  const origin: Origin = { source, document: `MeshGroup/${document.metadata.name}`, policy: mergePolicy(DEFAULT_APPLY_POLICY, document.policy) };
  for (const peerName of spec.members) {
    if (peerName === context.cluster.name) continue;
    const peer = context.fleet.clusters.get(peerName);
    if (!peer) continue; // reported by the loader
    const common = { metadataEndpoint: metadataEndpoint(peer), metadata: spec.metadata };
    context.emit(
      spec.type === 'federation'
        ? { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: metadataOf(peer.name), spec: compact({ trustDomain: peer.clusterDomain, ...common }) }
        : { apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioMulticluster', metadata: metadataOf(peer.name), spec: compact({ ...common, enableIngressGateway: spec.enableIngressGateway }) },
      origin,
    );
  }
  context.contribute({ module: 'istio', enabled: true, settings: { [spec.type]: { enabled: true } }, origin, primary: false });
}

/** MeshSettings → istio module settings (merged with what the mesh groups need). */
export function compileMeshSettings(context: RenderContext, { spec, origin }: Effective<'MeshSettings'>): void {
  const { ingressGateway, ...settings } = spec;
  context.contribute({
    module: 'istio',
    enabled: true,
    settings: compact({ ...settings, alliance: ingressGateway ? { ingressGateway } : undefined }),
    origin,
    primary: true,
  });
}
