import { Type, type Static } from '@sinclair/typebox';
import { Cidr, DnsName, IPV4_PATTERN, Port, Strict, StringMap, withDoc } from './common.js';

/** MetalLB pool entries: a CIDR or an IPv4 range "a-b". */
const AddressPoolEntry = Type.Union([Cidr, Type.String({ pattern: `^${IPV4_PATTERN}-${IPV4_PATTERN}$` })], {
  expected: 'a CIDR such as "192.0.2.0/28" or an address range such as "192.0.2.10-192.0.2.20" (octets 0-255)',
});

export const INLETS = [
  'LoadBalancer',
  'LoadBalancerWithProxyProtocol',
  'LoadBalancerWithSSLPassthrough',
  'HostPort',
  'HostPortWithProxyProtocol',
  'HostPortWithSSLPassthrough',
  'HostWithFailover',
] as const;
export type Inlet = (typeof INLETS)[number];

export const Toleration = Strict({
  key: Type.Optional(Type.String()),
  operator: Type.Optional(Type.Union([Type.Literal('Exists'), Type.Literal('Equal')])),
  value: Type.Optional(Type.String()),
  effect: Type.Optional(Type.Union([Type.Literal('NoSchedule'), Type.Literal('PreferNoSchedule'), Type.Literal('NoExecute')])),
  tolerationSeconds: Type.Optional(Type.Integer()),
});

export const IngressProfileSpec = Strict({
  inlet: Type.Union(
    INLETS.map((inlet) => Type.Literal(inlet)),
    { description: 'How traffic reaches the controller (IngressNginxController `inlet`).' },
  ),
  ingressClass: Type.Optional(withDoc(DnsName, { description: 'The IngressClass the controller serves; default `nginx`.' })),
  controllerVersion: Type.Optional(Type.Union([Type.Literal('1.9'), Type.Literal('1.10')])),
  replicas: Type.Optional(
    Strict({ min: Type.Integer({ minimum: 1 }), max: Type.Integer({ minimum: 1 }) }, { description: 'Controller replica range.' }),
  ),
  loadBalancer: Type.Optional(
    Strict(
      {
        annotations: Type.Optional(StringMap),
        sourceRanges: Type.Optional(Type.Array(Cidr)),
        loadBalancerClass: Type.Optional(Type.String()),
        behindL7Proxy: Type.Optional(Type.Boolean()),
        realIPHeader: Type.Optional(Type.String()),
        l2: Type.Optional(
          Strict(
            {
              addressPool: Type.Array(AddressPoolEntry, { minItems: 1 }),
              interfaces: Type.Optional(Type.Array(Type.String())),
              nodeSelector: Type.Optional(StringMap),
              isDefault: Type.Optional(Type.Boolean()),
            },
            { description: 'Bare-metal L2 load balancing: renders a MetalLoadBalancerClass the controller service uses.' },
          ),
        ),
      },
      { description: 'Settings of the LoadBalancer* inlets.' },
    ),
  ),
  hostPort: Type.Optional(
    Strict(
      {
        httpPort: Type.Optional(Port),
        httpsPort: Type.Optional(Port),
        behindL7Proxy: Type.Optional(Type.Boolean()),
        realIPHeader: Type.Optional(Type.String()),
      },
      { description: 'Settings of the HostPort* inlets.' },
    ),
  ),
  nodeSelector: Type.Optional(StringMap),
  tolerations: Type.Optional(Type.Array(Toleration)),
  acceptRequestsFrom: Type.Optional(Type.Array(Cidr)),
  hsts: Type.Optional(Type.Boolean()),
  enableIstioSidecar: Type.Optional(Type.Boolean()),
  config: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Raw keys of the nginx ConfigMap.' })),
});
export type IngressProfileSpec = Static<typeof IngressProfileSpec>;
