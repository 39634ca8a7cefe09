/**
 * Field ownership of non-apply writes, as kube-apiserver's field manager records it:
 * a create or update is an `Update` entry of the request's fieldManager (kubectl create,
 * edit and client-side apply write this way), and managedFields a request sets replace
 * the live ones (fieldmanager's decodeLiveOrNew: how Flux's ssa cleanup and `kubectl`
 * take ownership over), except through a subresource.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer, type KubeApiServer } from './server.js';
import type { JsonObject } from './json.js';

let kube: KubeApiServer;

async function request(method: string, path: string, body: unknown, contentType: string, manager: string): Promise<JsonObject> {
  const response = await fetch(`${kube.url}${path}?fieldManager=${manager}`, {
    method, body: JSON.stringify(body), headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': contentType },
  });
  const answer = await response.json() as JsonObject;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

const PATH = '/api/v1/namespaces/owned/configmaps';
const managersOf = (object: JsonObject) => ((object.metadata as { managedFields?: { manager: string; operation: string; fieldsV1: unknown }[] }).managedFields ?? [])
  .map(({ manager, operation, fieldsV1 }) => ({ manager, operation, fieldsV1 }));

beforeAll(async () => {
  kube = await startKubeApiServer();
  await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'owned' } }, 'application/json', 'test');
});
afterAll(async () => {
  await kube?.stop();
});

describe('when objects are written without server-side apply', () => {
  it('records a create as an Update entry of the request\'s field manager (kubectl create, client-side apply)', async () => {
    const created = await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'created' }, data: { a: '1' } }, 'application/json', 'kubectl-client-side-apply');
    expect(managersOf(created)).toEqual([{ manager: 'kubectl-client-side-apply', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }]);
  });

  it('keeps the live managedFields when a patch does not set them', async () => {
    await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { a: '1' } }, 'application/json', 'kubectl-create');
    const patched = await request('PATCH', `${PATH}/kept`, { data: { b: '2' } }, 'application/merge-patch+json', 'kubectl-edit');
    expect(managersOf(patched).map((entry) => entry.manager)).toEqual(['kubectl-create', 'kubectl-edit']);
  });

  it('replaces them with what a JSON patch sets, adding no entry for a write that changes nothing else', async () => {
    const created = await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'replaced' }, data: { a: '1', b: '2' } }, 'application/json', 'kubectl-create');
    const entries = (created.metadata as { managedFields: JsonObject[] }).managedFields;
    const trimmed = [{ ...entries[0], fieldsV1: { 'f:data': { 'f:b': {} } } }];
    const patched = await request('PATCH', `${PATH}/replaced`, [{ op: 'replace', path: '/metadata/managedFields', value: trimmed }], 'application/json-patch+json', 'netfleet');
    expect(managersOf(patched)).toEqual([{ manager: 'kubectl-create', operation: 'Update', fieldsV1: { 'f:data': { 'f:b': {} } } }]);
  });

  it('resets them when a request sends [{}]', async () => {
    await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reset' }, data: { a: '1' } }, 'application/json', 'kubectl-create');
    const patched = await request('PATCH', `${PATH}/reset`, [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], 'application/json-patch+json', 'netfleet');
    expect(managersOf(patched)).toEqual([]);
  });
});
