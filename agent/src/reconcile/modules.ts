/**
 * Which DKP module serves a kind, to say what a waiting object waits for. API groups are
 * shared by several modules, so the kind decides where the group does not.
 */
const MODULE_BY_KIND: Record<string, string> = {
  IngressNginxController: 'ingress-nginx',
  EgressGateway: 'cni-cilium',
  EgressGatewayPolicy: 'cni-cilium',
  IstioFederation: 'istio',
  IstioMulticluster: 'istio',
  IngressIstioController: 'istio',
  MetalLoadBalancerClass: 'metallb',
  KeepalivedInstance: 'keepalived',
  ServiceWithHealthchecks: 'service-with-healthchecks',
  RoutingTable: 'static-routing-manager',
  IPRuleSet: 'static-routing-manager',
  ModuleConfig: 'deckhouse',
};

const MODULE_BY_GROUP_SUFFIX: [suffix: string, module: string][] = [
  ['cilium.io', 'cni-cilium'],
  ['istio.io', 'istio'],
  ['metallb.io', 'metallb'],
];

/** The module whose CRD defines the kind, or a description of the group when unknown. */
export function moduleOf(apiVersion: string, kind: string): string {
  const byKind = MODULE_BY_KIND[kind];
  if (byKind) return byKind;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const byGroup = MODULE_BY_GROUP_SUFFIX.find(([suffix]) => group === suffix || group.endsWith(`.${suffix}`));
  return byGroup ? byGroup[1] : `the module serving ${apiVersion}`;
}
