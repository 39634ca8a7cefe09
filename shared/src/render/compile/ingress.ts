import { ProblemCode } from '../../config/errors.js';
import type { Inlet } from '../../config/kinds/index.js';
import { compact, metadataOf, type RenderContext } from '../context.js';
import type { Effective } from '../effective.js';

/** The IngressNginxController field that holds each inlet's settings (HostWithFailover has none). */
const INLET_FIELD: Record<Inlet, string | undefined> = {
  LoadBalancer: 'loadBalancer',
  LoadBalancerWithProxyProtocol: 'loadBalancerWithProxyProtocol',
  LoadBalancerWithSSLPassthrough: 'loadBalancerWithSSLPassthrough',
  HostPort: 'hostPort',
  HostPortWithProxyProtocol: 'hostPortWithProxyProtocol',
  HostPortWithSSLPassthrough: 'hostPortWithSSLPassthrough',
  HostWithFailover: undefined,
};

/** Only the plain inlets know about an L7 proxy in front (the CRD has the fields nowhere else). */
const PROXY_AWARE: readonly Inlet[] = ['LoadBalancer', 'HostPort'];

/** IngressProfile → IngressNginxController (+ MetalLoadBalancerClass for L2), and the modules they need. */
export function compileIngressProfile(context: RenderContext, { name, spec, origin }: Effective<'IngressProfile'>): void {
  const family = spec.inlet.startsWith('LoadBalancer') ? 'loadBalancer' : spec.inlet.startsWith('HostPort') ? 'hostPort' : undefined;
  let valid = true;
  for (const field of ['loadBalancer', 'hostPort'] as const) {
    const settings = spec[field];
    if (settings === undefined) continue;
    if (family !== field) {
      context.problem(origin, ProblemCode.InvalidValue, ['spec', field], `${field} settings with inlet ${spec.inlet}`, `${field} only with a ${field === 'loadBalancer' ? 'LoadBalancer*' : 'HostPort*'} inlet`);
      valid = false;
    } else if ((settings.behindL7Proxy !== undefined || settings.realIPHeader !== undefined) && !PROXY_AWARE.includes(spec.inlet)) {
      context.problem(origin, ProblemCode.InvalidValue, ['spec', field], `behindL7Proxy/realIPHeader with inlet ${spec.inlet}`, 'behindL7Proxy and realIPHeader only with inlet LoadBalancer or HostPort');
      valid = false;
    }
  }
  if (spec.replicas && spec.replicas.min > spec.replicas.max) {
    context.problem(origin, ProblemCode.InvalidValue, ['spec', 'replicas'], `min ${spec.replicas.min} above max ${spec.replicas.max}`, 'min not above max');
    valid = false;
  }
  if (!valid) return;

  const l2 = spec.loadBalancer?.l2;
  const inletSettings = family === 'loadBalancer'
    ? compact({
        annotations: spec.loadBalancer?.annotations,
        sourceRanges: spec.loadBalancer?.sourceRanges,
        loadBalancerClass: l2 ? name : spec.loadBalancer?.loadBalancerClass,
        behindL7Proxy: spec.loadBalancer?.behindL7Proxy,
        realIPHeader: spec.loadBalancer?.realIPHeader,
      })
    : compact({ ...spec.hostPort });
  const inletField = INLET_FIELD[spec.inlet];
  context.emit(
    {
      apiVersion: 'deckhouse.io/v1',
      kind: 'IngressNginxController',
      metadata: metadataOf(name),
      spec: compact({
        ingressClass: spec.ingressClass ?? 'nginx',
        inlet: spec.inlet,
        controllerVersion: spec.controllerVersion,
        minReplicas: spec.replicas?.min,
        maxReplicas: spec.replicas?.max,
        ...(inletField ? { [inletField]: inletSettings } : {}),
        nodeSelector: spec.nodeSelector,
        tolerations: spec.tolerations,
        acceptRequestsFrom: spec.acceptRequestsFrom,
        hsts: spec.hsts,
        enableIstioSidecar: spec.enableIstioSidecar,
        config: spec.config,
      }),
    },
    origin,
  );
  context.contribute({ module: 'ingress-nginx', enabled: true, settings: {}, origin, primary: false });
  if (l2) {
    context.emit(
      {
        apiVersion: 'network.deckhouse.io/v1alpha1',
        kind: 'MetalLoadBalancerClass',
        metadata: metadataOf(name),
        spec: compact({
          type: 'L2',
          addressPool: l2.addressPool,
          l2: l2.interfaces ? { interfaces: l2.interfaces } : undefined,
          nodeSelector: l2.nodeSelector,
          isDefault: l2.isDefault,
        }),
      },
      origin,
    );
    context.contribute({ module: 'metallb', enabled: true, settings: {}, origin, primary: false });
  }
}
