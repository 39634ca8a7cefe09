import { INVENTORY_CONFIGMAP } from '@netfleet/agent';
import type { ObjectRef } from '@netfleet/shared';
import { AGENT_NAME, agentManifests, secretShapes, type AgentInstallInputs } from './agent-manifests.js';

/** One object `install agent` (or the agent itself) creates for the agent, by name. */
export interface AgentObjectPath {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** The label `install agent` and the agent put on the namespace they create. */
export const PART_OF_LABEL = 'app.kubernetes.io/part-of';

/**
 * Every object an agent installed into `namespace` can have, whatever its install options
 * were: built from the same manifests `install agent` applies (with every variant switched on:
 * git token and hub Secrets, the plain manifests' ClusterRole), plus the inventory the agent
 * keeps. The Deployment comes first (the agent stops before anything else goes), the
 * Namespace last.
 */
export function agentObjectPaths(namespace: string): AgentObjectPath[] {
  const inputs: AgentInstallInputs = {
    cluster: 'any', repo: 'any', branch: 'main', hubUrl: 'https://any', gitAuth: 'token', namespace, image: 'any',
    manifestResources: [{ group: '', resource: 'configmaps' }],
  };
  const objects = agentManifests(inputs).objects.map((object): AgentObjectPath => ({
    apiVersion: object.apiVersion!, kind: object.kind!, name: object.metadata!.name!, ...(object.metadata!.namespace ? { namespace: object.metadata!.namespace } : {}),
  }));
  const secrets = secretShapes(inputs).map((shape): AgentObjectPath => ({ apiVersion: 'v1', kind: 'Secret', namespace, name: shape.name }));
  const inventory: AgentObjectPath = { apiVersion: 'v1', kind: 'ConfigMap', namespace, name: INVENTORY_CONFIGMAP };
  const deployment = objects.filter((object) => object.kind === 'Deployment' && object.name === AGENT_NAME);
  const namespaceObject = objects.filter((object) => object.kind === 'Namespace');
  const rest = objects.filter((object) => !deployment.includes(object) && !namespaceObject.includes(object));
  return [...deployment, ...rest, ...secrets, inventory, ...namespaceObject];
}

/** `kind/namespace/name` as the listings show an object. */
export function describePath(path: AgentObjectPath | ObjectRef): string {
  return `${path.kind.toLowerCase()}/${path.namespace ? `${path.namespace}/` : ''}${path.name}`;
}
