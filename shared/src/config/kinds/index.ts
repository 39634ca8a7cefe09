import type { Static, TSchema } from '@sinclair/typebox';
import { DocumentSchema, type DocumentShape } from './common.js';
import { ClusterSpec } from './cluster.js';
import { IngressProfileSpec } from './ingress.js';
import { EgressSpec } from './egress.js';
import { PolicySetSpec } from './policy-set.js';
import { MeshGroupSpec, MeshSettingsSpec } from './mesh.js';
import { DnsSettingsSpec } from './dns.js';
import { CniSettingsSpec } from './cni.js';
import { ManifestSetSpec } from './manifest-set.js';
import { RolloutPolicySpec } from './rollout.js';

export { API_VERSION } from './common.js';

const inventory: DocumentShape = { targeted: false, overridable: false, withPolicy: false };
const typed: DocumentShape = { targeted: true, overridable: true, withPolicy: true };

function kind<S extends TSchema, K extends string>(name: K, spec: S, shape: DocumentShape, description: string) {
  return { kind: name, spec, shape, schema: DocumentSchema(name, spec, shape, description), description };
}

/** Every document kind of the fleet repository format: one TypeBox definition each. */
export const KINDS = {
  Cluster: kind('Cluster', ClusterSpec, inventory, 'One cluster of the fleet inventory (clusters/*.yaml).'),
  IngressProfile: kind('IngressProfile', IngressProfileSpec, typed, 'An ingress-nginx controller; renders IngressNginxController and, for L2, MetalLoadBalancerClass.'),
  Egress: kind('Egress', EgressSpec, typed, 'An egress gateway and the pods that use it; renders EgressGateway and EgressGatewayPolicy.'),
  PolicySet: kind('PolicySet', PolicySetSpec, typed, 'Network policy building blocks; renders NetworkPolicy, CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy.'),
  MeshGroup: kind('MeshGroup', MeshGroupSpec, { targeted: false, overridable: false, withPolicy: true }, 'An Istio federation or multicluster group; renders one IstioFederation/IstioMulticluster per peer on every member.'),
  MeshSettings: kind('MeshSettings', MeshSettingsSpec, typed, 'Istio module settings, merged with what the mesh groups of the cluster need.'),
  DNSSettings: kind('DNSSettings', DnsSettingsSpec, typed, 'Cluster DNS; renders the kube-dns and node-local-dns ModuleConfigs.'),
  CNISettings: kind('CNISettings', CniSettingsSpec, typed, 'The cluster network (Cilium); renders the cni-cilium ModuleConfig.'),
  ManifestSet: kind('ManifestSet', ManifestSetSpec, { targeted: true, overridable: false, withPolicy: true }, 'A folder of plain manifests with ${...} substitution, for the clusters it targets.'),
  RolloutPolicy: kind('RolloutPolicy', RolloutPolicySpec, { targeted: false, overridable: false, withPolicy: false }, 'How the hub rolls a new commit out: waves, gates, failure policy, blackout windows. Renders nothing.'),
} as const;

export type KindName = keyof typeof KINDS;

/**
 * The kinds rendered per cluster, whose spec (and override specs) may hold `${...}`
 * references. The others (the inventory, mesh groups, rollout policies, manifest set
 * folders) are read once for the whole fleet, where a per-cluster value has no meaning.
 */
export const SUBSTITUTED_KINDS: ReadonlySet<KindName> = new Set<KindName>(['IngressProfile', 'Egress', 'PolicySet', 'MeshSettings', 'DNSSettings', 'CNISettings']);
export const KIND_NAMES = Object.keys(KINDS) as KindName[];

export function isKindName(name: unknown): name is KindName {
  return typeof name === 'string' && Object.hasOwn(KINDS, name);
}

/** A validated document of one kind. */
export type DocumentOf<K extends KindName> = Static<(typeof KINDS)[K]['schema']>;

export * from './common.js';
export * from './cluster.js';
export * from './ingress.js';
export * from './egress.js';
export * from './policy-set.js';
export * from './mesh.js';
export * from './dns.js';
export * from './cni.js';
export * from './manifest-set.js';
export * from './rollout.js';
