import { Type, type TSchema } from '@sinclair/typebox';
import { Cidr, DnsName, Ipv4, LabelKey, LabelValue, Port, StringMap } from '../config/kinds/common.js';
import { INLETS, Toleration } from '../config/kinds/ingress.js';

/**
 * netfleet's own definitions of the DKP resources it renders: the fields the renderer
 * produces, typed. They let the demo (and tests on a machine without the DKP reference
 * files) run an API server that serves these kinds. They are deliberately narrower than
 * DKP's own schemas: a test, run where the real schemas are at hand, checks that every
 * object these definitions accept the real schemas accept too.
 */

/** An IPv4 CIDR as DKP's IngressNginxController schema states it (octets 0–255, no leading zeros). */
const Ipv4Cidr = Type.String({
  pattern: '^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.){3}([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(\\/(3[0-2]|[1-2][0-9]|[0-9]))$',
});

/** The inlet settings an IngressNginxController takes for the LoadBalancer* inlets. */
const LoadBalancerInlet = Type.Object({
  annotations: Type.Optional(StringMap),
  sourceRanges: Type.Optional(Type.Array(Ipv4Cidr)),
  loadBalancerClass: Type.Optional(Type.String()),
  behindL7Proxy: Type.Optional(Type.Boolean()),
  realIPHeader: Type.Optional(Type.String()),
});

/** A host port; 6443 is the API server's. */
const HostPortNumber = Type.Integer({ ...Port, 'x-kubernetes-validations': [{ rule: 'self != 6443', message: 'port 6443 is taken by the Kubernetes API server' }] });

/** The inlet settings for the HostPort* inlets: at least one port. */
const HOST_PORT_FIELDS = {
  httpPort: Type.Optional(HostPortNumber),
  httpsPort: Type.Optional(HostPortNumber),
  behindL7Proxy: Type.Optional(Type.Boolean()),
  realIPHeader: Type.Optional(Type.String()),
};
const AT_LEAST_ONE_PORT = { anyOf: [{ required: ['httpPort'] }, { required: ['httpsPort'] }] };
const HostPortInlet = Type.Object(HOST_PORT_FIELDS, AT_LEAST_ONE_PORT);
const PlainHostPortInlet = Type.Object({ httpPort: HOST_PORT_FIELDS.httpPort, httpsPort: HOST_PORT_FIELDS.httpsPort }, AT_LEAST_ONE_PORT);

/** Each inlet with its own settings field (a HostPort* inlet requires it), as DKP's schema states it. */
const ONE_INLET = {
  oneOf: INLETS.map((inlet) => {
    const field = inlet === 'HostWithFailover' ? undefined : inlet[0]!.toLowerCase() + inlet.slice(1);
    return {
      properties: { inlet: { enum: [inlet] }, ...(field ? { [field]: {} } : {}) },
      ...(field?.startsWith('hostPort') ? { required: [field] } : {}),
    };
  }),
};

const IngressNginxControllerSpec = Type.Object({
  ingressClass: DnsName,
  inlet: Type.Union(INLETS.map((inlet) => Type.Literal(inlet))),
  controllerVersion: Type.Optional(Type.Union([Type.Literal('1.9'), Type.Literal('1.10')])),
  minReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
  maxReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
  loadBalancer: Type.Optional(LoadBalancerInlet),
  loadBalancerWithProxyProtocol: Type.Optional(Type.Omit(LoadBalancerInlet, ['behindL7Proxy', 'realIPHeader'])),
  loadBalancerWithSSLPassthrough: Type.Optional(Type.Omit(LoadBalancerInlet, ['behindL7Proxy', 'realIPHeader'])),
  hostPort: Type.Optional(HostPortInlet),
  hostPortWithProxyProtocol: Type.Optional(PlainHostPortInlet),
  hostPortWithSSLPassthrough: Type.Optional(PlainHostPortInlet),
  nodeSelector: Type.Optional(StringMap),
  tolerations: Type.Optional(Type.Array(Toleration)),
  acceptRequestsFrom: Type.Optional(Type.Array(Ipv4Cidr)),
  hsts: Type.Optional(Type.Boolean()),
  enableIstioSidecar: Type.Optional(Type.Boolean()),
  config: Type.Optional(StringMap),
}, ONE_INLET);

const MetalLoadBalancerClassSpec = Type.Object({
  type: Type.Literal('L2'),
  addressPool: Type.Array(Type.String(), { minItems: 1 }),
  l2: Type.Optional(Type.Object({ interfaces: Type.Optional(Type.Array(Type.String())) })),
  nodeSelector: Type.Optional(StringMap),
  isDefault: Type.Optional(Type.Boolean()),
});

/** One mode, and the settings of that mode (`oneOf` as DKP's schema states it). */
const EgressGatewaySpec = Type.Object({
  nodeSelector: StringMap,
  sourceIP: Type.Object({
    mode: Type.Union([Type.Literal('VirtualIPAddress'), Type.Literal('PrimaryIPFromEgressGatewayNodeInterface')]),
    virtualIPAddress: Type.Optional(Type.Object({ ip: Ipv4, interfaces: Type.Optional(Type.Array(Type.String())) })),
    primaryIPFromEgressGatewayNodeInterface: Type.Optional(Type.Object({ interfaceName: Type.String() })),
  }, {
    oneOf: [
      { required: ['virtualIPAddress'], properties: { mode: { enum: ['VirtualIPAddress'] } } },
      { required: ['primaryIPFromEgressGatewayNodeInterface'], properties: { mode: { enum: ['PrimaryIPFromEgressGatewayNodeInterface'] } } },
    ],
  }),
});

const EgressGatewayPolicySpec = Type.Object({
  egressGatewayName: Type.String(),
  destinationCIDRs: Type.Array(Cidr, { minItems: 1 }),
  excludedCIDRs: Type.Optional(Type.Array(Cidr)),
  selectors: Type.Array(Type.Object({ podSelector: Type.Object({ matchLabels: Type.Record(LabelKey, LabelValue) }) })),
});

const MeshLinkMetadata = Type.Object({ insecureSkipVerify: Type.Optional(Type.Boolean()), ca: Type.Optional(Type.String()) });

/**
 * What DKP's istio module writes into a link's status: the peer's metadata and when it was
 * fetched. netfleet reads link health from it; fields it does not declare are pruned, as
 * kube-apiserver prunes them under DKP's schema (newer DKP versions add `conditions`).
 */
const IngressGateways = Type.Array(Type.Object({ address: Type.Optional(Type.String()), port: Type.Optional(Type.Integer()) }));
const PublicMetadata = Type.Object({ rootCA: Type.Optional(Type.String()), authnKeyPub: Type.Optional(Type.String()), clusterUUID: Type.Optional(Type.String()) });
const linkStatus = (privateMetadata: ReturnType<typeof Type.Object>) => Type.Object({
  metadataCache: Type.Optional(Type.Object({
    public: Type.Optional(PublicMetadata),
    publicLastFetchTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
    private: Type.Optional(privateMetadata),
    privateLastFetchTimestamp: Type.Optional(Type.String({ format: 'date-time' })),
  })),
});
const IstioFederationStatus = linkStatus(Type.Object({
  ingressGateways: Type.Optional(IngressGateways),
  publicServices: Type.Optional(Type.Array(Type.Object({
    hostname: Type.Optional(Type.String()),
    ports: Type.Optional(Type.Array(Type.Object({ name: Type.Optional(Type.String()), port: Type.Optional(Type.Integer()) }))),
  }))),
}));
const IstioMulticlusterStatus = linkStatus(Type.Object({
  apiHost: Type.Optional(Type.String()),
  networkName: Type.Optional(Type.String()),
  ingressGateways: Type.Optional(IngressGateways),
  ca: Type.Optional(Type.String()),
}));

const IstioFederationSpec = Type.Object({
  trustDomain: Type.String({ pattern: '^[0-9a-zA-Z._-]+$' }),
  metadataEndpoint: Type.String({ pattern: '^(https|file)://[0-9a-zA-Z._/-]+$' }),
  metadata: Type.Optional(MeshLinkMetadata),
});

const IstioMulticlusterSpec = Type.Object({
  metadataEndpoint: Type.String({ pattern: '^(https|file)://[0-9a-zA-Z._/-]+$' }),
  metadata: Type.Optional(MeshLinkMetadata),
  enableIngressGateway: Type.Optional(Type.Boolean()),
});

const ModuleConfigSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean()),
  version: Type.Optional(Type.Integer({ minimum: 1 })),
  // Each module's settings have their own schema, which DKP's webhook checks; the renderer
  // checks the ones it writes against the fleet documents' types.
  settings: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

/** Cilium's label selectors: any key (Cilium prefixes sources such as `k8s:`), Kubernetes label values. */
const CiliumSelector = Type.Object({ matchLabels: Type.Optional(Type.Record(Type.String(), LabelValue)) });
const CiliumName = Type.Object({
  matchName: Type.Optional(Type.String({ pattern: '^([-a-zA-Z0-9_]+[.]?)+$' })),
  matchPattern: Type.Optional(Type.String({ pattern: '^([-a-zA-Z0-9_*]+[.]?)+$' })),
});
const CiliumPort = Type.Object({ port: Type.String({ pattern: '^[0-9]{1,5}$' }), protocol: Type.Optional(Type.Union(['TCP', 'UDP', 'SCTP', 'ANY'].map((p) => Type.Literal(p)))) });

/** The rules the renderer writes into CiliumNetworkPolicies (typed PolicySet blocks). */
const CiliumNetworkPolicySpec = Type.Object({
  endpointSelector: CiliumSelector,
  egress: Type.Optional(Type.Array(Type.Object({
    toEndpoints: Type.Optional(Type.Array(CiliumSelector)),
    toFQDNs: Type.Optional(Type.Array(CiliumName)),
    toPorts: Type.Optional(Type.Array(Type.Object({
      ports: Type.Optional(Type.Array(CiliumPort)),
      rules: Type.Optional(Type.Object({ dns: Type.Optional(Type.Array(CiliumName)) })),
    }))),
  }))),
});

/**
 * A clusterwide block's spec is the user's own Cilium policy, passed through: DKP's schema
 * judges its rules; netfleet's definition holds it to selecting endpoints or nodes, as Cilium's does.
 */
const CiliumClusterwideNetworkPolicySpec = Type.Object({
  endpointSelector: Type.Optional(CiliumSelector),
  nodeSelector: Type.Optional(CiliumSelector),
}, {
  'x-kubernetes-preserve-unknown-fields': true,
  oneOf: [{ required: ['endpointSelector'] }, { required: ['nodeSelector'] }],
});

/** Plain manifests of the example fleet use Istio's PeerAuthentication, which DKP's istio module installs. */
const PeerAuthenticationSpec = Type.Object({
  selector: Type.Optional(Type.Object({ matchLabels: Type.Optional(StringMap) })),
  mtls: Type.Optional(Type.Object({ mode: Type.Union(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'].map((mode) => Type.Literal(mode))) })),
});

/** One DKP resource kind: where DKP defines it and what netfleet writes into it. */
export interface DkpResource {
  /** The file under DKP's `crds/` that defines the kind (the reference files use the same paths). */
  file: string;
  group: string;
  version: string;
  kind: string;
  plural: string;
  scope: 'Cluster' | 'Namespaced';
  spec: TSchema;
  /**
   * The status subresource's schema, where netfleet reads it (link health); the other kinds'
   * controllers write status netfleet never reads, kept as it comes.
   */
  status?: TSchema;
}

export const DKP_RESOURCES: readonly DkpResource[] = [
  { file: 'ingress-nginx/ingress-nginx.yaml', group: 'deckhouse.io', version: 'v1', kind: 'IngressNginxController', plural: 'ingressnginxcontrollers', scope: 'Cluster', spec: IngressNginxControllerSpec },
  { file: 'metallb/metalloadbalancerclasses.yaml', group: 'network.deckhouse.io', version: 'v1alpha1', kind: 'MetalLoadBalancerClass', plural: 'metalloadbalancerclasses', scope: 'Cluster', spec: MetalLoadBalancerClassSpec },
  { file: 'cni-cilium/egressgateways.yaml', group: 'network.deckhouse.io', version: 'v1alpha1', kind: 'EgressGateway', plural: 'egressgateways', scope: 'Cluster', spec: EgressGatewaySpec },
  { file: 'cni-cilium/egressgatewaypolicies.yaml', group: 'network.deckhouse.io', version: 'v1alpha1', kind: 'EgressGatewayPolicy', plural: 'egressgatewaypolicies', scope: 'Cluster', spec: EgressGatewayPolicySpec },
  { file: 'istio/istiofederation.yaml', group: 'deckhouse.io', version: 'v1alpha1', kind: 'IstioFederation', plural: 'istiofederations', scope: 'Cluster', spec: IstioFederationSpec, status: IstioFederationStatus },
  { file: 'istio/istiomulticluster.yaml', group: 'deckhouse.io', version: 'v1alpha1', kind: 'IstioMulticluster', plural: 'istiomulticlusters', scope: 'Cluster', spec: IstioMulticlusterSpec, status: IstioMulticlusterStatus },
  { file: 'deckhouse-controller/module-config.yaml', group: 'deckhouse.io', version: 'v1alpha1', kind: 'ModuleConfig', plural: 'moduleconfigs', scope: 'Cluster', spec: ModuleConfigSpec },
  { file: 'cni-cilium/cilium/ciliumnetworkpolicies.yaml', group: 'cilium.io', version: 'v2', kind: 'CiliumNetworkPolicy', plural: 'ciliumnetworkpolicies', scope: 'Namespaced', spec: CiliumNetworkPolicySpec },
  { file: 'cni-cilium/cilium/ciliumclusterwidenetworkpolicies.yaml', group: 'cilium.io', version: 'v2', kind: 'CiliumClusterwideNetworkPolicy', plural: 'ciliumclusterwidenetworkpolicies', scope: 'Cluster', spec: CiliumClusterwideNetworkPolicySpec },
  { file: 'istio/istio/1.21/crd-all.gen.yaml', group: 'security.istio.io', version: 'v1beta1', kind: 'PeerAuthentication', plural: 'peerauthentications', scope: 'Namespaced', spec: PeerAuthenticationSpec },
];
