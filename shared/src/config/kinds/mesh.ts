import { Type, type Static } from '@sinclair/typebox';
import { DnsLabel, Strict, StringMap } from './common.js';

export const MeshGroupSpec = Strict({
  type: Type.Union([Type.Literal('federation'), Type.Literal('multicluster')], {
    description: 'federation: independent meshes that share chosen services; multicluster: one mesh.',
  }),
  members: Type.Array(DnsLabel, { minItems: 2, uniqueItems: true, description: 'Names of the member clusters.' }),
  metadata: Type.Optional(
    Strict({ insecureSkipVerify: Type.Optional(Type.Boolean()), ca: Type.Optional(Type.String()) }, { description: 'How peers fetch each other\'s metadata.' }),
  ),
  enableIngressGateway: Type.Optional(Type.Boolean({ description: 'multicluster only: reach peers through their ingress gateway.' })),
});
export type MeshGroupSpec = Static<typeof MeshGroupSpec>;

export const MeshSettingsSpec = Strict({
  globalVersion: Type.Optional(Type.String({ pattern: '^[0-9]+\\.[0-9]+$', expected: 'an Istio version such as "1.21"' })),
  additionalVersions: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]+\\.[0-9]+$', expected: 'an Istio version such as "1.21"' }))),
  outboundTrafficPolicyMode: Type.Optional(Type.Union([Type.Literal('AllowAny'), Type.Literal('RegistryOnly')])),
  enableHTTP10: Type.Optional(Type.Boolean()),
  ingressGateway: Type.Optional(
    Strict(
      {
        inlet: Type.Optional(Type.Union([Type.Literal('LoadBalancer'), Type.Literal('NodePort')])),
        nodePort: Type.Optional(Strict({ port: Type.Integer({ minimum: 1024, maximum: 65535 }) })),
        serviceAnnotations: Type.Optional(StringMap),
        nodeSelector: Type.Optional(StringMap),
      },
      { description: 'How the cross-cluster ingress gateway of federation/multicluster is exposed.' },
    ),
  ),
});
export type MeshSettingsSpec = Static<typeof MeshSettingsSpec>;
