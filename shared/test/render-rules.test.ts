import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, loadFleet, render, renderFleet, type Fleet } from '../src/index.js';
import { BASE_FLEET, MemoryRepo } from './support/memory-repo.js';

const doc = (kind: string, name: string, body: string) => `apiVersion: netfleet.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${body}`;

async function fleetWith(files: Record<string, string>): Promise<Fleet> {
  return loadFleet(new MemoryRepo({ ...BASE_FLEET, ...files }));
}

function specOf(fleet: Fleet, cluster: string, id: string): unknown {
  return render(fleet, cluster).objects.find((rendered) => rendered.id === id)?.object.spec;
}

describe('when an override sets the apply policy for some clusters', () => {
  it('applies the override policy only to the clusters it selects, merging field by field', async () => {
    const fleet = await fleetWith({
      'network/i.yaml': `${doc('IngressProfile', 'public', 'targets:\n  all: true\npolicy:\n  ignore: [/spec/maxReplicas]\nspec:\n  inlet: LoadBalancer\n')}overrides:\n  - targets:\n      regions: [us]\n    policy:\n      drift: alert\n      force: true\n      recreate: true\n`,
    });
    const policyOf = (cluster: string) => render(fleet, cluster).objects.find((o) => o.object.kind === 'IngressNginxController')!.policy;
    expect(policyOf('alpha')).toEqual({ force: false, drift: 'correct', ignore: ['/spec/maxReplicas'], prune: true, recreate: false });
    expect(policyOf('beta')).toEqual({ force: true, drift: 'alert', ignore: ['/spec/maxReplicas'], prune: true, recreate: true });
  });
});

describe('when several documents feed one ModuleConfig', () => {
  const settings = doc('MeshSettings', 'istio', 'targets:\n  all: true\nspec:\n  outboundTrafficPolicyMode: RegistryOnly\n');
  const federation = doc('MeshGroup', 'pair', 'spec:\n  type: federation\n  members: [alpha, beta]\n');

  it('merges mesh group flags into the settings document and takes its source', async () => {
    const fleet = await fleetWith({ 'mesh/settings.yaml': settings, 'mesh/groups.yaml': federation });
    const istio = render(fleet, 'alpha').objects.find((o) => o.id === 'deckhouse.io_ModuleConfig__istio')!;
    expect(istio.object.spec).toEqual({ enabled: true, version: 2, settings: { outboundTrafficPolicyMode: 'RegistryOnly', federation: { enabled: true } } });
    expect(istio.source).toEqual({ file: 'mesh/settings.yaml', document: 'MeshSettings/istio' });
  });

  it('renders the istio ModuleConfig from mesh groups alone', async () => {
    const fleet = await fleetWith({ 'mesh/groups.yaml': federation });
    expect(specOf(fleet, 'beta', 'deckhouse.io_ModuleConfig__istio')).toEqual({ enabled: true, version: 2, settings: { federation: { enabled: true } } });
  });

  it('refuses two groups linking the same pair twice', async () => {
    const fleet = await fleetWith({ 'mesh/groups.yaml': `${federation}---\n${doc('MeshGroup', 'again', 'spec:\n  type: federation\n  members: [beta, alpha]\n')}` });
    expect(renderFleet(fleet).problems.map(formatProblem)).toEqual([
      'mesh/groups.yaml:1:1 RENDER_DUPLICATE_OBJECT [cluster alpha]: found IstioFederation/beta from MeshGroup/pair, also rendered from MeshGroup/again in mesh/groups.yaml, expected each object rendered by one document only',
      'mesh/groups.yaml:1:1 RENDER_DUPLICATE_OBJECT [cluster beta]: found IstioFederation/alpha from MeshGroup/pair, also rendered from MeshGroup/again in mesh/groups.yaml, expected each object rendered by one document only',
    ]);
  });
});

describe('when one cluster cannot be rendered', () => {
  const files = {
    'network/egress.yaml': doc('Egress', 'out', 'targets:\n  all: true\nspec:\n  nodeSelector:\n    role: egress\n  sourceIP:\n    virtualIPAddress:\n      ip: ${vars.vip}\n  policies:\n    - name: all\n      destinationCIDRs: [0.0.0.0/0]\n      selectors:\n        - namespace: shop\n'),
  };

  it('renders the other clusters and leaves the broken one out of the results', async () => {
    const { results, problems } = renderFleet(await fleetWith(files));
    expect([...results.keys()]).toEqual(['alpha']);
    expect(problems.map((problem) => problem.clusters)).toEqual([['beta']]);
  });

  it('throws a ConfigError from render() for that cluster only', async () => {
    const fleet = await fleetWith(files);
    expect(render(fleet, 'alpha').objects.some((o) => o.object.kind === 'EgressGateway')).toBe(true);
    expect(() => render(fleet, 'beta')).toThrow(ConfigError);
  });
});

describe('when compiling ingress inlets', () => {
  it.each([
    ['HostWithFailover', '', { ingressClass: 'nginx', inlet: 'HostWithFailover' }],
    ['HostPortWithProxyProtocol', '  hostPort:\n    httpPort: 80\n', { ingressClass: 'nginx', inlet: 'HostPortWithProxyProtocol', hostPortWithProxyProtocol: { httpPort: 80 } }],
    ['LoadBalancerWithProxyProtocol', '  loadBalancer:\n    sourceRanges: [10.0.0.0/8]\n', { ingressClass: 'nginx', inlet: 'LoadBalancerWithProxyProtocol', loadBalancerWithProxyProtocol: { sourceRanges: ['10.0.0.0/8'] } }],
  ])('puts the %s settings under the field the CRD expects', async (inlet, extra, spec) => {
    const fleet = await fleetWith({ 'network/i.yaml': doc('IngressProfile', 'edge', `targets:\n  names: [alpha]\nspec:\n  inlet: ${inlet}\n${extra}`) });
    expect(specOf(fleet, 'alpha', 'deckhouse.io_IngressNginxController__edge')).toEqual(spec);
    expect(render(fleet, 'beta').objects.some((o) => o.object.kind === 'IngressNginxController')).toBe(false);
  });

  it('refuses realIPHeader on an inlet the CRD has no such field for', async () => {
    const fleet = await fleetWith({ 'network/i.yaml': doc('IngressProfile', 'edge', 'targets:\n  names: [alpha]\nspec:\n  inlet: LoadBalancerWithProxyProtocol\n  loadBalancer:\n    realIPHeader: X-Real-IP\n') });
    expect(renderFleet(fleet).problems.map(formatProblem)).toEqual([
      'network/i.yaml:9:3 CONFIG_INVALID_VALUE [cluster alpha] spec.loadBalancer: found behindL7Proxy/realIPHeader with inlet LoadBalancerWithProxyProtocol, expected behindL7Proxy and realIPHeader only with inlet LoadBalancer or HostPort',
    ]);
  });
});

describe('when rendering network policy blocks', () => {
  it('renders an FQDN block as a CiliumNetworkPolicy with the DNS rule Cilium needs', async () => {
    const fleet = await fleetWith({ 'network/p.yaml': doc('PolicySet', 'api', 'targets:\n  all: true\nspec:\n  namespaces: [shop]\n  blocks:\n    - type: allowToFQDN\n      name: github\n      fqdns: [github.com, "*.githubusercontent.com"]\n      ports:\n        - port: 443\n') });
    expect(specOf(fleet, 'alpha', 'cilium.io_CiliumNetworkPolicy_shop_api-github')).toEqual({
      endpointSelector: { matchLabels: {} },
      egress: [
        {
          toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
          toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
        },
        { toFQDNs: [{ matchName: 'github.com' }, { matchPattern: '*.githubusercontent.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
      ],
    });
  });

  it('renders default deny for the chosen directions in every namespace', async () => {
    const fleet = await fleetWith({ 'network/p.yaml': doc('PolicySet', 'base', 'targets:\n  all: true\nspec:\n  namespaces: [shop, web]\n  podSelector:\n    app: api\n  blocks:\n    - type: defaultDeny\n      directions: [Ingress]\n') });
    const result = render(fleet, 'alpha');
    expect(result.objects.filter((o) => o.object.kind === 'NetworkPolicy').map((o) => [o.id, o.object.spec])).toEqual([
      ['networking.k8s.io_NetworkPolicy_shop_base-default-deny', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] }],
      ['networking.k8s.io_NetworkPolicy_web_base-default-deny', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] }],
    ]);
  });
});
