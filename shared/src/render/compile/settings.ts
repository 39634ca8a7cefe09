import { DEFAULT_APPLY_POLICY, type ClusterInfo } from '../../config/model.js';
import { compact, type RenderContext } from '../context.js';
import type { Effective } from '../effective.js';

/** DNSSettings → kube-dns settings, and node-local-dns switched on or off when said. */
export function compileDnsSettings(context: RenderContext, { spec, origin }: Effective<'DNSSettings'>): void {
  const { nodeLocalDNS, ...settings } = spec;
  context.contribute({ module: 'kube-dns', enabled: true, settings: compact(settings), origin, primary: true });
  if (nodeLocalDNS !== undefined) context.contribute({ module: 'node-local-dns', enabled: nodeLocalDNS, settings: {}, origin, primary: true });
}

/** CNISettings → cni-cilium settings. */
export function compileCniSettings(context: RenderContext, { spec, origin }: Effective<'CNISettings'>): void {
  context.contribute({ module: 'cni-cilium', enabled: true, settings: compact(spec), origin, primary: true });
}

/**
 * The inventory itself → the `global` ModuleConfig's publicDomainTemplate, so DKP serves
 * `istio.<publicDomain>` (the metadata endpoint peers are given) and the other public names.
 */
export function compileGlobalSettings(context: RenderContext, cluster: ClusterInfo): void {
  context.contribute({
    module: 'global',
    enabled: undefined,
    settings: { modules: { publicDomainTemplate: `%s.${cluster.publicDomain}` } },
    origin: { source: cluster.source, document: `Cluster/${cluster.name}`, policy: DEFAULT_APPLY_POLICY },
    primary: true,
  });
}
