/**
 * Discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/{group}[/{version}]`,
 * and the aggregated form (apidiscovery.k8s.io v2beta1 and v2) when the Accept header asks.
 */
import type { JsonObject } from './json.js';
import { READ_WRITE_VERBS, apiVersionOf, type ResourceType } from './resource-type.js';
import type { ResourceRegistry } from './registry.js';

export const SERVER_VERSION = {
  major: '1',
  minor: '28',
  gitVersion: 'v1.28.7',
  gitCommit: 'c8dcb00be9961ec36d141d2e4103f85f92bcf291',
  gitTreeState: 'clean',
  buildDate: '2024-02-14T10:32:40Z',
  goVersion: 'go1.21.7',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const STATUS_VERBS = ['get', 'patch', 'update'];

/** The aggregated-discovery version an Accept header asks for, if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const part of (accept ?? '').split(',')) {
    const params = part.split(';').map((item) => item.trim());
    if (!params.includes('g=apidiscovery.k8s.io') || !params.includes('as=APIGroupDiscoveryList')) continue;
    if (params.includes('v=v2')) return 'v2';
    if (params.includes('v=v2beta1')) return 'v2beta1';
  }
  return undefined;
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

function resourceEntries(types: ResourceType[]): JsonObject[] {
  return types.flatMap((type) => {
    const entry: JsonObject = {
      name: type.plural, singularName: type.singular, namespaced: type.namespaced, kind: type.kind, verbs: READ_WRITE_VERBS,
    };
    if (type.shortNames.length > 0) entry.shortNames = type.shortNames;
    if (type.categories.length > 0) entry.categories = type.categories;
    const status = { name: `${type.plural}/status`, singularName: '', namespaced: type.namespaced, kind: type.kind, verbs: STATUS_VERBS };
    return type.statusSubresource ? [entry, status] : [entry];
  });
}

export function apiResourceList(registry: ResourceRegistry, group: string, version: string): JsonObject | undefined {
  const types = registry.all().filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: resourceEntries(types) };
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(registry: ResourceRegistry, group: string): JsonObject {
  const versions = registry.groupVersions(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupDocument(registry: ResourceRegistry, group: string): JsonObject | undefined {
  if (!registry.groups().includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(registry, group) };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((group) => apiGroup(registry, group)) };
}

/** The aggregated discovery document of `/api` (core) or `/apis` (every named group). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean, version: 'v2' | 'v2beta1'): JsonObject {
  const groups = core ? [''] : registry.groups();
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group },
      versions: registry.groupVersions(group).map((groupVersion) => ({
        version: groupVersion,
        freshness: 'Current',
        resources: registry.all().filter((type) => type.group === group && type.version === groupVersion).map((type) => {
          const responseKind = { group, version: groupVersion, kind: type.kind };
          const resource: JsonObject = {
            resource: type.plural, responseKind, scope: type.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: type.singular, verbs: READ_WRITE_VERBS,
          };
          if (type.shortNames.length > 0) resource.shortNames = type.shortNames;
          if (type.categories.length > 0) resource.categories = type.categories;
          if (type.statusSubresource) resource.subresources = [{ subresource: 'status', responseKind, verbs: STATUS_VERBS }];
          return resource;
        }),
      })),
    })),
  };
}
