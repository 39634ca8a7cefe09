/**
 * Discovery as kube-apiserver v1.28 serves it: /version, /api, /apis, group and
 * group-version documents, and aggregated discovery when the Accept header asks for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApisApi, CoreApi, CoreV1Api, NetworkingV1Api, VersionApi } from '@kubernetes/client-node';
import { startKubeApiServer, DEFAULT_ADMIN_TOKEN, type KubeApiServer } from './server.js';

let kube: KubeApiServer;

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds((file) => file.startsWith('ingress-nginx/') || file.startsWith('deckhouse-controller/'));
});

afterAll(async () => {
  await kube?.stop();
});

describe('when a client discovers the API', () => {
  it('reports kube-apiserver v1.28.7 at /version', async () => {
    const version = await kube.kubeConfig().makeApiClient(VersionApi).getCode();
    expect(version).toMatchObject({ major: '1', minor: '28', gitVersion: 'v1.28.7' });
  });

  it('lists the core version at /api and the built-in resources at /api/v1', async () => {
    const versions = await kube.kubeConfig().makeApiClient(CoreApi).getAPIVersions();
    expect(versions.versions).toEqual(['v1']);
    const resources = await kube.kubeConfig().makeApiClient(CoreV1Api).getAPIResources();
    const names = resources.resources.map((resource) => resource.name);
    expect(names).toEqual(expect.arrayContaining(['namespaces', 'namespaces/status', 'configmaps', 'secrets', 'services', 'services/status', 'events']));
    expect(resources.resources.find((resource) => resource.name === 'configmaps')).toMatchObject({ kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] });
  });

  it('lists built-in and CRD groups at /apis with the preferred (GA first) version', async () => {
    const groups = await kube.kubeConfig().makeApiClient(ApisApi).getAPIVersions();
    const deckhouse = groups.groups.find((group) => group.name === 'deckhouse.io');
    expect(deckhouse?.preferredVersion?.version).toBe('v1');
    expect(deckhouse?.versions.map((version) => version.version)).toEqual(['v1', 'v1alpha1']);
    expect(groups.groups.map((group) => group.name)).toEqual(expect.arrayContaining(['networking.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io']));
  });

  it('describes a group version at /apis/{group}/{version}', async () => {
    const resources = await kube.kubeConfig().makeApiClient(NetworkingV1Api).getAPIResources();
    expect(resources.groupVersion).toBe('networking.k8s.io/v1');
    expect(resources.resources.map((resource) => resource.name)).toEqual(['ingresses', 'ingresses/status', 'networkpolicies']);
  });

  it('serves aggregated discovery when the Accept header asks for apidiscovery.k8s.io/v2beta1', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    const response = await fetch(`${kube.url}/apis`, { headers: { accept, authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}` } });
    expect(response.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    const body = await response.json() as { kind: string; items: Array<{ metadata: { name: string }; versions: Array<{ version: string; resources: Array<{ resource: string; scope: string; subresources?: unknown[] }> }> }> };
    expect(body.kind).toBe('APIGroupDiscoveryList');
    const moduleConfigs = body.items.find((item) => item.metadata.name === 'deckhouse.io')?.versions
      .flatMap((version) => version.resources).find((resource) => resource.resource === 'moduleconfigs');
    expect(moduleConfigs).toMatchObject({ scope: 'Cluster', subresources: [{ subresource: 'status' }] });
  });

  it('answers 404 with a NotFound Status for an unknown group version', async () => {
    const response = await fetch(`${kube.url}/apis/nothing.example.com/v1`, { headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });
});
