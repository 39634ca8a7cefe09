import { compact, metadataOf, type RenderContext } from '../context.js';
import type { Effective } from '../effective.js';

/** The pod label Cilium gives every pod's namespace; EgressGatewayPolicy selects namespaces by it. */
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';

/** Egress → one EgressGateway and one EgressGatewayPolicy per policy entry. */
export function compileEgress(context: RenderContext, { name, spec, origin }: Effective<'Egress'>): void {
  const virtual = spec.sourceIP.virtualIPAddress;
  const sourceIP = virtual
    ? { mode: 'VirtualIPAddress', virtualIPAddress: compact({ ip: virtual.ip, interfaces: virtual.interfaces }) }
    : { mode: 'PrimaryIPFromEgressGatewayNodeInterface', primaryIPFromEgressGatewayNodeInterface: { interfaceName: spec.sourceIP.nodeInterface } };
  context.emit(
    { apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'EgressGateway', metadata: metadataOf(name), spec: { nodeSelector: spec.nodeSelector, sourceIP } },
    origin,
  );
  for (const policy of spec.policies) {
    context.emit(
      {
        apiVersion: 'network.deckhouse.io/v1alpha1',
        kind: 'EgressGatewayPolicy',
        metadata: metadataOf(`${name}-${policy.name}`),
        spec: compact({
          egressGatewayName: name,
          destinationCIDRs: policy.destinationCIDRs,
          excludedCIDRs: policy.excludedCIDRs,
          selectors: policy.selectors.map((selector) => ({
            podSelector: {
              matchLabels: { ...selector.matchLabels, ...(selector.namespace ? { [POD_NAMESPACE_LABEL]: selector.namespace } : {}) },
            },
          })),
        }),
      },
      origin,
    );
  }
}
