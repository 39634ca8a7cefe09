import { Type, type Static } from '@sinclair/typebox';
import { Cidr, DnsLabel, Ipv4, Labels, Strict, StringMap, withDoc } from './common.js';

export const EgressSpec = Strict({
  nodeSelector: withDoc(StringMap, { minProperties: 1, description: 'Nodes that may become the active egress node.' }),
  sourceIP: Strict(
    {
      virtualIPAddress: Type.Optional(Strict({ ip: Ipv4, interfaces: Type.Optional(Type.Array(Type.String())) })),
      nodeInterface: Type.Optional(Type.String({ description: 'Use the primary address of this interface of the active node.' })),
    },
    { minProperties: 1, maxProperties: 1, expected: 'exactly one of virtualIPAddress or nodeInterface' },
  ),
  policies: Type.Array(
    Strict({
      name: DnsLabel,
      destinationCIDRs: Type.Array(Cidr, { minItems: 1 }),
      excludedCIDRs: Type.Optional(Type.Array(Cidr)),
      selectors: Type.Array(
        Strict(
          {
            namespace: Type.Optional(withDoc(DnsLabel, { description: 'Only pods of this namespace.' })),
            matchLabels: Type.Optional(Labels),
          },
          { minProperties: 1, expected: 'a namespace and/or matchLabels' },
        ),
        { minItems: 1 },
      ),
    }),
    { minItems: 1, description: 'Which pods leave through the gateway, to where.' },
  ),
});
export type EgressSpec = Static<typeof EgressSpec>;
