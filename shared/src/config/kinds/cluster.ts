import { Type, type Static } from '@sinclair/typebox';
import { DnsLabel, DnsName, Strict, withDoc } from './common.js';

export const ClusterSpec = Strict({
  region: withDoc(DnsLabel, { description: 'The region the cluster belongs to; rollouts and selectors group by it.' }),
  publicDomain: withDoc(DnsName, {
    description: 'Public DNS domain of the cluster; DKP builds `<service>.<publicDomain>` from it, peers reach `istio.<publicDomain>`.',
  }),
  clusterDomain: withDoc(DnsName, { description: 'The cluster DNS domain (`clusterDomain`); the Istio trust domain.' }),
  vars: Type.Optional(
    Type.Record(
      Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$', expected: 'a variable name (letters, digits, "_")' }),
      Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
      { additionalProperties: false, expected: 'a variable name (letters, digits, "_")', description: 'Free variables, used as `${vars.<name>}` in documents and manifests.' },
    ),
  ),
});
export type ClusterSpec = Static<typeof ClusterSpec>;
