import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './common.js';

/**
 * cni-cilium module settings. Node-to-node encryption is not offered: the cni-cilium
 * settings schema has no encryption field; pod-to-pod encryption is Istio mTLS.
 */
export const CniSettingsSpec = Strict({
  tunnelMode: Type.Optional(Type.Union([Type.Literal('Disabled'), Type.Literal('VXLAN')])),
  masqueradeMode: Type.Optional(Type.Union([Type.Literal('Netfilter'), Type.Literal('BPF')])),
  bpfLBMode: Type.Optional(Type.Union([Type.Literal('SNAT'), Type.Literal('Hybrid'), Type.Literal('DSR')])),
  policyAuditMode: Type.Optional(Type.Boolean()),
  svcSourceRangeCheck: Type.Optional(Type.Boolean()),
  createNodeRoutes: Type.Optional(Type.Boolean()),
  debugLogging: Type.Optional(Type.Boolean()),
  labelsRegex: Type.Optional(Type.Array(Type.String())),
});
export type CniSettingsSpec = Static<typeof CniSettingsSpec>;
