import { ProblemCode } from '../../config/errors.js';
import type { PolicyBlock, PortSpec } from '../../config/kinds/index.js';
import type { KubeObject } from '../../objects.js';
import { compact, metadataOf, type Origin, type RenderContext } from '../context.js';
import type { Effective } from '../effective.js';

/** DKP runs CoreDNS in kube-system with this label; the ingress controllers in d8-ingress-nginx. */
const DNS_PEER = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const INGRESS_NAMESPACE = 'd8-ingress-nginx';
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function networkPorts(ports: PortSpec[] | undefined) {
  return ports?.map((port) => ({ protocol: port.protocol ?? 'TCP', port: port.port }));
}

function networkPolicy(name: string, namespace: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: metadataOf(name, namespace), spec };
}

/** The Kubernetes objects of one namespaced block in one namespace. */
function namespacedBlock(set: string, block: Exclude<PolicyBlock, { type: 'clusterwide' }>, namespace: string, podSelector: Record<string, string>): KubeObject {
  const pods = { matchLabels: podSelector };
  switch (block.type) {
    case 'defaultDeny':
      return networkPolicy(`${set}-default-deny`, namespace, { podSelector: pods, policyTypes: block.directions ?? ['Ingress', 'Egress'] });
    case 'allowDNS':
      return networkPolicy(`${set}-allow-dns`, namespace, {
        podSelector: pods,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: DNS_PEER.namespace } }, podSelector: { matchLabels: DNS_PEER.labels } }],
            ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
          },
        ],
      });
    case 'allowFromIngress':
      return networkPolicy(`${set}-allow-from-ingress`, namespace, {
        podSelector: pods,
        policyTypes: ['Ingress'],
        ingress: [compact({ from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: INGRESS_NAMESPACE } } }], ports: networkPorts(block.ports) })],
      });
    case 'allowToCIDR':
      return networkPolicy(`${set}-${block.name}`, namespace, {
        podSelector: pods,
        policyTypes: ['Egress'],
        egress: [compact({ to: block.cidrs.map((cidr) => ({ ipBlock: compact({ cidr, except: block.except }) })), ports: networkPorts(block.ports) })],
      });
    case 'allowToFQDN':
      // FQDN rules need Cilium's DNS proxy to see the lookups, hence the DNS rule beside them.
      return {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: metadataOf(`${set}-${block.name}`, namespace),
        spec: {
          endpointSelector: pods,
          egress: [
            {
              toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': DNS_PEER.namespace, 'k8s:k8s-app': DNS_PEER.labels['k8s-app'] } }],
              toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
            },
            compact({
              toFQDNs: block.fqdns.map((fqdn) => (fqdn.includes('*') ? { matchPattern: fqdn } : { matchName: fqdn })),
              toPorts: block.ports && [{ ports: block.ports.map((port) => ({ port: String(port.port), protocol: port.protocol ?? 'TCP' })) }],
            }),
          ],
        },
      };
  }
}

/** PolicySet → NetworkPolicy / CiliumNetworkPolicy per namespace, CiliumClusterwideNetworkPolicy once. */
export function compilePolicySet(context: RenderContext, { name, spec, origin }: Effective<'PolicySet'>): void {
  const namespaces = spec.namespaces ?? [];
  const needsNamespaces = spec.blocks.some((block) => block.type !== 'clusterwide');
  if (needsNamespaces && namespaces.length === 0) {
    context.problem(origin, ProblemCode.MissingField, ['spec', 'namespaces'], 'nothing', 'field "namespaces" for the namespaced blocks');
    return;
  }
  for (const block of spec.blocks) emitBlock(context, name, block, namespaces, spec.podSelector ?? {}, origin);
}

function emitBlock(context: RenderContext, set: string, block: PolicyBlock, namespaces: string[], podSelector: Record<string, string>, origin: Origin): void {
  if (block.type === 'clusterwide') {
    context.emit({ apiVersion: 'cilium.io/v2', kind: 'CiliumClusterwideNetworkPolicy', metadata: metadataOf(`${set}-${block.name}`), spec: block.spec }, origin);
    return;
  }
  for (const namespace of namespaces) context.emit(namespacedBlock(set, block, namespace, podSelector), origin);
}
