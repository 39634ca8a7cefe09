import { Type, type Static } from '@sinclair/typebox';
import { Cidr, DnsLabel, Labels, Port, Strict, Tagged, withDoc } from './common.js';

const PortSpec = Strict({
  port: Port,
  protocol: Type.Optional(Type.Union([Type.Literal('TCP'), Type.Literal('UDP'), Type.Literal('SCTP')])),
});
export type PortSpec = Static<typeof PortSpec>;

const Fqdn = Type.String({
  pattern: '^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
  expected: 'a DNS name, optionally starting with "*." (such as "*.example.com")',
});

export const DefaultDenyBlock = Strict({
  type: Type.Literal('defaultDeny'),
  directions: Type.Optional(Type.Array(Type.Union([Type.Literal('Ingress'), Type.Literal('Egress')]), { minItems: 1 })),
});
export const AllowDnsBlock = Strict({ type: Type.Literal('allowDNS') });
export const AllowFromIngressBlock = Strict({ type: Type.Literal('allowFromIngress'), ports: Type.Optional(Type.Array(PortSpec, { minItems: 1 })) });
export const AllowToCidrBlock = Strict({
  type: Type.Literal('allowToCIDR'),
  name: DnsLabel,
  cidrs: Type.Array(Cidr, { minItems: 1 }),
  except: Type.Optional(Type.Array(Cidr)),
  ports: Type.Optional(Type.Array(PortSpec, { minItems: 1 })),
});
export const AllowToFqdnBlock = Strict({
  type: Type.Literal('allowToFQDN'),
  name: DnsLabel,
  fqdns: Type.Array(Fqdn, { minItems: 1 }),
  ports: Type.Optional(Type.Array(PortSpec, { minItems: 1 })),
});
export const ClusterwideBlock = Strict({
  type: Type.Literal('clusterwide'),
  name: DnsLabel,
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'A CiliumClusterwideNetworkPolicy spec, passed through.' }),
});

export const PolicyBlock = Tagged('type', [DefaultDenyBlock, AllowDnsBlock, AllowFromIngressBlock, AllowToCidrBlock, AllowToFqdnBlock, ClusterwideBlock]);
export type PolicyBlock = Static<typeof PolicyBlock>;

export const PolicySetSpec = Strict({
  namespaces: Type.Optional(Type.Array(DnsLabel, { minItems: 1, description: 'Namespaces the namespaced blocks apply to.' })),
  podSelector: Type.Optional(withDoc(Labels, { description: 'Pods the blocks apply to; default all pods of the namespaces.' })),
  blocks: Type.Array(PolicyBlock, { minItems: 1 }),
});
export type PolicySetSpec = Static<typeof PolicySetSpec>;
