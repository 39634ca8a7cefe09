import { DEFAULT_ADMIN_TOKEN, type KubeApiServer } from '@netfleet/test/kube/server';
import type { KubeObject } from '@netfleet/shared';

/**
 * Writes as kubectl's non-apply verbs do against the API test server: plain REST
 * requests whose field manager is recorded with operation `Update`.
 */

/** The REST path of an object (core `v1` under /api, groups under /apis). */
export function restPath(object: Pick<KubeObject, 'apiVersion' | 'metadata'>, plural: string, named = true): string {
  const root = object.apiVersion.includes('/') ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`;
  const namespace = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : '';
  return `${root}${namespace}/${plural}${named ? `/${object.metadata.name}` : ''}`;
}

async function send(kube: KubeApiServer, method: string, path: string, body: unknown, contentType: string, manager: string): Promise<KubeObject> {
  const response = await fetch(`${kube.url}${path}?fieldManager=${encodeURIComponent(manager)}`, {
    method, body: JSON.stringify(body), headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': contentType },
  });
  const answer = await response.json() as KubeObject;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** `kubectl patch --type merge --field-manager <manager>`. */
export function kubectlPatch(kube: KubeApiServer, object: KubeObject, plural: string, patch: unknown, manager: string): Promise<KubeObject> {
  return send(kube, 'PATCH', restPath(object, plural), patch, 'application/merge-patch+json', manager);
}

/** `kubectl patch --type json --field-manager <manager>`. */
export function kubectlJsonPatch(kube: KubeApiServer, object: KubeObject, plural: string, operations: unknown[], manager: string): Promise<KubeObject> {
  return send(kube, 'PATCH', restPath(object, plural), operations, 'application/json-patch+json', manager);
}

/** `kubectl create` (manager `kubectl-create`) or client-side `kubectl apply` of a new object (`kubectl-client-side-apply`). */
export function kubectlCreate(kube: KubeApiServer, object: KubeObject, plural: string, manager: string): Promise<KubeObject> {
  return send(kube, 'POST', restPath(object, plural, false), object, 'application/json', manager);
}

/** A controller's status write: merge patch on the status subresource (`kubectl patch --subresource status`). */
export function patchStatus(kube: KubeApiServer, object: KubeObject, plural: string, status: unknown, manager = 'controller'): Promise<KubeObject> {
  return send(kube, 'PATCH', `${restPath(object, plural)}/status`, { status }, 'application/merge-patch+json', manager);
}

