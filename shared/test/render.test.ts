import { beforeAll, describe, expect, it } from 'vitest';
import {
  FsRepoReader,
  KIND_NAMES,
  OWNER_LABEL,
  PRUNE_ANNOTATION,
  SOURCE_ANNOTATION,
  UnknownClusterError,
  contentHash,
  loadFleet,
  render,
  renderClusterFromRepository,
  renderFleet,
  setHash,
  type Fleet,
  type RenderResult,
} from '../src/index.js';
import { EXAMPLE_FLEET_DIR } from './support/example-fleet.js';

let fleet: Fleet;
let results: Map<string, RenderResult>;

function objectOf(cluster: string, id: string) {
  const found = results.get(cluster)?.objects.find((rendered) => rendered.id === id);
  if (!found) throw new Error(`${cluster} has no ${id}`);
  return found;
}

beforeAll(async () => {
  fleet = await loadFleet(new FsRepoReader(EXAMPLE_FLEET_DIR));
  const rendered = renderFleet(fleet);
  expect(rendered.problems).toEqual([]);
  results = rendered.results;
});

describe('when rendering the example fleet', () => {
  it('renders every cluster of at least nine in three regions', () => {
    expect(fleet.clusters.size).toBeGreaterThanOrEqual(9);
    expect(new Set([...fleet.clusters.values()].map((cluster) => cluster.region)).size).toBe(3);
    expect([...results.keys()]).toEqual([...fleet.clusters.keys()]);
  });

  it('uses every document kind at least once', () => {
    for (const kind of KIND_NAMES) expect(fleet.documents[kind].length, kind).toBeGreaterThan(0);
  });

  it('merges both mesh groups and the mesh settings into one istio ModuleConfig at version 2', () => {
    expect(objectOf('us-nyc-1', 'deckhouse.io_ModuleConfig__istio').object.spec).toEqual({
      enabled: true,
      version: 2,
      settings: {
        globalVersion: '1.21',
        outboundTrafficPolicyMode: 'AllowAny',
        alliance: { ingressGateway: { inlet: 'LoadBalancer' } },
        federation: { enabled: true },
        multicluster: { enabled: true },
      },
    });
  });

  it('names every document a merged ModuleConfig comes from in its source annotation', () => {
    const annotation = (id: string) => objectOf('us-nyc-1', id).object.metadata.annotations?.[SOURCE_ANNOTATION];
    expect(annotation('deckhouse.io_ModuleConfig__ingress-nginx')).toBe('network/ingress.yaml#IngressProfile/internal, network/ingress.yaml#IngressProfile/public');
    expect(annotation('deckhouse.io_ModuleConfig__istio')).toBe('mesh/settings.yaml#MeshSettings/istio, mesh/groups.yaml#MeshGroup/global-prod, mesh/groups.yaml#MeshGroup/nyc');
  });

  it('applies the bare-metal override to the istio ingress gateway', () => {
    const settings = objectOf('us-iad-1', 'deckhouse.io_ModuleConfig__istio').object.spec as { settings: { alliance: unknown } };
    expect(settings.settings.alliance).toEqual({ ingressGateway: { inlet: 'NodePort', nodePort: { port: 30443 } } });
  });

  it('links every pair of federation members both ways, from the peer inventory entry', () => {
    const group = fleet.meshGroups.find((g) => g.name === 'global-prod')!;
    for (const member of group.members) {
      for (const peer of group.members.filter((other) => other !== member)) {
        const { object } = objectOf(member, `deckhouse.io_IstioFederation__${peer}`);
        const entry = fleet.clusters.get(peer)!;
        expect(object.spec).toEqual({ trustDomain: entry.clusterDomain, metadataEndpoint: `https://istio.${entry.publicDomain}/metadata/` });
      }
    }
    expect(results.get('eu-fra-1')!.objects.filter((o) => o.object.kind === 'IstioFederation')).toHaveLength(group.members.length - 1);
  });

  it('gives the global ModuleConfig the public domain template at version 2', () => {
    expect(objectOf('eu-fra-1', 'deckhouse.io_ModuleConfig__global').object.spec).toEqual({
      version: 2,
      settings: { modules: { publicDomainTemplate: '%s.eu-fra-1.k8s.example.com' } },
    });
  });

  it('orders ModuleConfigs first, Namespaces before namespaced objects, stable by kind and name', () => {
    for (const result of results.values()) {
      const kinds = result.objects.map((o) => o.object);
      const firstOther = kinds.findIndex((o) => o.kind !== 'ModuleConfig');
      expect(kinds.slice(0, firstOther).every((o) => o.kind === 'ModuleConfig')).toBe(true);
      expect(kinds.slice(firstOther).some((o) => o.kind === 'ModuleConfig')).toBe(false);
      const firstNamespaced = kinds.findIndex((o) => o.metadata.namespace !== undefined);
      expect(kinds.slice(firstNamespaced).every((o) => o.metadata.namespace !== undefined)).toBe(true);
      expect(kinds.findLastIndex((o) => o.kind === 'Namespace')).toBeLessThan(firstNamespaced);
      const moduleNames = kinds.slice(0, firstOther).map((o) => o.metadata.name);
      expect(moduleNames).toEqual([...moduleNames].sort());
    }
  });

  it('labels every object as netfleet-owned, names its source and hashes its content', () => {
    for (const result of results.values()) {
      for (const rendered of result.objects) {
        expect(rendered.object.metadata.labels?.[OWNER_LABEL]).toBe('netfleet');
        if (rendered.object.kind !== 'ModuleConfig') expect(rendered.object.metadata.annotations?.[SOURCE_ANNOTATION]).toBe(`${rendered.source.file}#${rendered.source.document}`);
        else expect(rendered.object.metadata.annotations?.[SOURCE_ANNOTATION]).toContain(`${rendered.source.file}#${rendered.source.document}`);
        expect(rendered.hash).toBe(contentHash(rendered.object));
      }
      expect(result.hash).toBe(setHash(result.objects));
    }
  });

  it('gives different clusters different set hashes', () => {
    expect(new Set([...results.values()].map((r) => r.hash)).size).toBe(results.size);
  });

  it('sets the apply policy per document and keeps the defaults elsewhere', () => {
    expect(objectOf('eu-fra-1', 'deckhouse.io_IngressNginxController__public').policy).toEqual({
      force: false,
      drift: 'correct',
      ignore: ['/spec/minReplicas', '/spec/maxReplicas'],
      prune: true,
      recreate: false,
    });
    expect(objectOf('eu-fra-1', 'cilium.io_CiliumNetworkPolicy_payments_payments-external-processors').policy.drift).toBe('alert');
    const namespace = objectOf('eu-fra-1', '_Namespace__shop');
    expect(namespace.policy.prune).toBe(false);
    expect(namespace.object.metadata.annotations?.[PRUNE_ANNOTATION]).toBe('disabled');
    expect(objectOf('eu-fra-1', 'network.deckhouse.io_EgressGateway__partners').policy).toEqual({ force: false, drift: 'correct', ignore: [], prune: true, recreate: false });
  });

  it('substitutes cluster fields and variables, keeping a lone reference typed', () => {
    expect(objectOf('eu-fra-1', '_ConfigMap_shop_cluster-info').object.data).toEqual({
      cluster: 'eu-fra-1',
      region: 'eu-central',
      publicDomain: 'eu-fra-1.k8s.example.com',
      env: 'prod',
    });
    expect((objectOf('eu-fra-1', 'deckhouse.io_IngressNginxController__public').object.spec as { maxReplicas: unknown }).maxReplicas).toBe(3);
  });

  it('switches bare-metal clusters to L2 load balancing through an override', () => {
    const controller = objectOf('eu-ams-1', 'deckhouse.io_IngressNginxController__public').object.spec as { loadBalancer: unknown };
    expect(controller.loadBalancer).toEqual({ sourceRanges: ['0.0.0.0/0'], loadBalancerClass: 'public' });
    expect(objectOf('eu-ams-1', 'network.deckhouse.io_MetalLoadBalancerClass__public').object.spec).toEqual({
      type: 'L2',
      addressPool: ['192.168.40.100-192.168.40.120'],
      l2: { interfaces: ['bond0'] },
      nodeSelector: { 'node-role.deckhouse.io/frontend': '' },
    });
    expect(objectOf('eu-ams-1', 'deckhouse.io_ModuleConfig__metallb').object.spec).toEqual({ enabled: true, version: 2, settings: {} });
    expect(results.get('eu-fra-1')!.objects.some((o) => o.object.kind === 'MetalLoadBalancerClass')).toBe(false);
  });

  it('renders an egress gateway per cluster with its own virtual IP, and the node interface on bare metal', () => {
    expect((objectOf('eu-fra-1', 'network.deckhouse.io_EgressGateway__partners').object.spec as { sourceIP: unknown }).sourceIP).toEqual({
      mode: 'VirtualIPAddress',
      virtualIPAddress: { ip: '10.20.0.10', interfaces: ['eth1'] },
    });
    expect((objectOf('us-iad-1', 'network.deckhouse.io_EgressGateway__partners').object.spec as { sourceIP: unknown }).sourceIP).toEqual({
      mode: 'PrimaryIPFromEgressGatewayNodeInterface',
      primaryIPFromEgressGatewayNodeInterface: { interfaceName: 'bond0.100' },
    });
    expect(objectOf('eu-fra-1', 'network.deckhouse.io_EgressGatewayPolicy__partners-payments').object.spec).toEqual({
      egressGatewayName: 'partners',
      destinationCIDRs: ['203.0.113.0/24', '198.51.100.16/28'],
      selectors: [{ podSelector: { matchLabels: { app: 'payment-gateway', 'io.kubernetes.pod.namespace': 'payments' } } }],
    });
  });

  it('renders the same result through render() for one cluster', () => {
    expect(render(fleet, 'us-nyc-1')).toEqual(results.get('us-nyc-1'));
  });

  it('renders one cluster straight from a repository reader, as an agent does', async () => {
    expect(await renderClusterFromRepository(new FsRepoReader(EXAMPLE_FLEET_DIR), 'ap-sin-1')).toEqual(results.get('ap-sin-1'));
  });

  it('refuses a cluster the inventory does not have', () => {
    expect(() => render(fleet, 'mars-1')).toThrow(UnknownClusterError);
  });

  it('exports mesh groups and rollout policies as typed values', () => {
    expect(fleet.meshGroups).toEqual([
      { name: 'global-prod', type: 'federation', members: ['eu-fra-1', 'eu-ams-1', 'us-nyc-1', 'us-iad-1', 'ap-sin-1'], source: { file: 'mesh/groups.yaml', document: 'MeshGroup/global-prod' } },
      { name: 'nyc', type: 'multicluster', members: ['us-nyc-1', 'us-nyc-2'], source: { file: 'mesh/groups.yaml', document: 'MeshGroup/nyc' } },
    ]);
    const [policy] = fleet.rolloutPolicies;
    expect(policy?.waves.map((wave) => [wave.name, wave.maxParallel, wave.bakeTimeSeconds, wave.deadlineSeconds])).toEqual([
      ['staging', undefined, 1800, 3600],
      ['canary', undefined, 3600, 3600],
      ['europe', { kind: 'count', count: 1 }, 3600, undefined],
      ['rest', { kind: 'percent', percent: 50 }, 7200, undefined],
    ]);
    expect(policy?.blackouts).toEqual({
      timeZone: 'Europe/Berlin',
      weekly: [
        { days: ['Fri'], from: '16:00', to: '23:59' },
        { days: ['Sat', 'Sun'], from: '00:00', to: '23:59' },
      ],
      dates: [{ from: '2026-12-21', to: '2027-01-04' }],
    });
    expect(policy?.unselectedClusters).toBe('lastWave');
    expect(policy?.onFailure).toBe('pause');
  });
});
