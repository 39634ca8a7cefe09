/**
 * Changes to immutable fields, refused as kube-apiserver refuses them: 422 Invalid whose
 * cause names the field, for a built-in rule (an immutable ConfigMap's data, core
 * validation's ValidateConfigMapUpdate) and for a CRD transition rule
 * (`x-kubernetes-validations` `self == oldSelf`, checked only on update).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer, type KubeApiServer } from './server.js';
import { IMMUTABLE_CRD, immutableTable } from './immutable-crd.js';
import { apply, rejection, type Manifest } from './test-support.js';

let kube: KubeApiServer;
let objects: KubernetesObjectApi;

beforeAll(async () => {
  kube = await startKubeApiServer();
  objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
  // Posted as JSON: client-node's model classes would drop x-kubernetes-validations.
  const response = await fetch(`${kube.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
    method: 'POST', body: JSON.stringify(IMMUTABLE_CRD), headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  expect(response.status).toBe(201);
  await apply(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'immutable' } }, 'test');
});
afterAll(async () => {
  await kube?.stop();
});


describe('when a change touches an immutable field', () => {
  it('refuses new data in an immutable ConfigMap: 422 Invalid, cause data FieldValueForbidden', async () => {
    const configMap = (value: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen', namespace: 'immutable' }, data: { a: value }, immutable: true } as Manifest);
    await apply(objects, configMap('1'), 'test');
    const status = await rejection(apply(objects, configMap('2'), 'test'));
    expect(status).toMatchObject({ code: 422, reason: 'Invalid', message: 'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set' });
    expect(status.details?.causes).toEqual([{ reason: 'FieldValueForbidden', field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' }]);
  });

  it('refuses a change a CRD transition rule (self == oldSelf, as DKP\'s RoutingTable has) forbids, with the rule\'s message, but not the create', async () => {
    await apply(objects, immutableTable('uplink', 100), 'test');
    const status = await rejection(apply(objects, immutableTable('uplink', 101), 'test'));
    expect(status).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.tableID', message: 'Invalid value: "integer": tableID is immutable field' }]);
  });
});
