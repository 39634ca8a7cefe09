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
    expect(managersOf(patched).map((entry) => entry.manager).sort()).toEqual(['kubectl-create', 'kubectl-edit']);
  });

  it('replaces them with what a JSON patch sets, adding no entry for a write that changes nothing else', async () => {
    const created = await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'replaced' }, data: { a: '1', b: '2' } }, 'application/json', 'kubectl-create');
    const entries = (created.metadata as { managedFields: JsonObject[] }).managedFields;
    const trimmed = [{ ...entries[0], fieldsV1: { 'f:data': { 'f:b': {} } } }];
    const patched = await request('PATCH', `${PATH}/replaced`, [{ op: 'replace', path: '/metadata/managedFields', value: trimmed }], 'application/json-patch+json', 'netfleet');
    expect(managersOf(patched)).toEqual([{ manager: 'kubectl-create', operation: 'Update', fieldsV1: { 'f:data': { 'f:b': {} } } }]);
  });

  it('drops an entry whose fields are all gone (structured-merge-diff\'s Updater deletes a manager with an empty set), the writer\'s own included', async () => {
    await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'emptied' }, data: { a: '1' } }, 'application/json', 'creator');
    const added = await request('PATCH', `${PATH}/emptied`, { data: { b: '2' } }, 'application/merge-patch+json', 'adder');
    expect(managersOf(added).map((entry) => entry.manager).sort()).toEqual(['adder', 'creator']);
    const removed = await request('PATCH', `${PATH}/emptied`, { data: { b: null } }, 'application/merge-patch+json', 'remover');
    expect(managersOf(removed)).toEqual([{ manager: 'creator', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } }]);
  });

  it('resets them when a request sends [{}]', async () => {
    await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'reset' }, data: { a: '1' } }, 'application/json', 'kubectl-create');
    const patched = await request('PATCH', `${PATH}/reset`, [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], 'application/json-patch+json', 'netfleet');
    expect(managersOf(patched)).toEqual([]);
  });
});

describe('when an object without managedFields is applied for the first time', () => {
  it('gives what it had to a before-first-apply Update entry (kube-apiserver\'s skipNonAppliedManager), so the applier conflicts over changed values', async () => {
    await request('POST', PATH, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy' }, data: { a: '1', b: '2' } }, 'application/json', 'kubectl-create');
    await request('PATCH', `${PATH}/legacy`, [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }], 'application/json-patch+json', 'reset');
    const applied = await request('PATCH', `${PATH}/legacy`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy' }, data: { a: '1' } }, 'application/apply-patch+yaml', 'netfleet');
    // Order aside (another test names kube-apiserver's order): these two entries.
    expect(managersOf(applied)).toHaveLength(2);
    expect(managersOf(applied)).toEqual(expect.arrayContaining([
      { manager: 'netfleet', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } },
      { manager: 'before-first-apply', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } } },
    ]));
    const response = await fetch(`${kube.url}${PATH}/legacy?fieldManager=netfleet`, {
      method: 'PATCH', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy' }, data: { b: '3' } }),
      headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/apply-patch+yaml' },
    });
    expect(response.status).toBe(409);
  });
});
