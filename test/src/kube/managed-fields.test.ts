/**
 * The order of metadata.managedFields entries, as kube-apiserver writes them
 * (sortEncodedManagedFields in k8s.io/apimachinery's managedfields): Apply entries before
 * Update entries, then oldest first by the second of their time, then by manager, apiVersion
 * and subresource compared byte by byte (Go's string `<`, not a locale's collation).
 * Times are fixed here, so entries written within one second are tested deterministically.
 */
import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json.js';
import { recordApply, recordUpdate, type WriterIdentity } from './managed-fields.js';
import type { Schema } from './schema.js';

const SCHEMA: Schema = {
  type: 'object',
  properties: {
    data: { type: 'object', additionalProperties: { type: 'string' } },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};
const MAIN = { statusSubresource: true };
const STATUS = { statusSubresource: true, subresource: 'status' };
const T1 = '2026-01-01T10:00:00Z';
const T2 = '2026-01-01T10:00:01Z';

const update = (manager: string, apiVersion = 'v1', subresource?: string): WriterIdentity => ({ manager, operation: 'Update', apiVersion, ...(subresource ? { subresource } : {}) });
const apply = (manager: string): WriterIdentity => ({ manager, operation: 'Apply', apiVersion: 'v1' });

function order(object: JsonObject): string[] {
  const entries = (object.metadata as { managedFields: JsonObject[] }).managedFields;
  return entries.map((entry) => [entry.manager, entry.operation, entry.apiVersion, entry.subresource ?? '', entry.time].join(' ').trimEnd());
}

describe('managedFields order', () => {
  it('puts Apply entries before Update entries, even older Update entries', () => {
    let object = recordUpdate(undefined, { metadata: {}, data: { a: '1' } }, SCHEMA, update('kubectl-create'), MAIN, T1);
    object = recordApply(object, { metadata: {}, data: { b: '2' } }, SCHEMA, apply('netfleet'), MAIN, false, T2).object;
    expect(order(object)).toEqual([`netfleet Apply v1  ${T2}`, `kubectl-create Update v1  ${T1}`]);
  });

  it('orders entries of one operation oldest first, whatever the manager', () => {
    let object = recordUpdate(undefined, { metadata: {}, data: { a: '1' } }, SCHEMA, update('zz-operator'), MAIN, T1);
    object = recordUpdate(object, { metadata: {}, data: { a: '1', b: '2' } }, SCHEMA, update('aa-operator'), MAIN, T2);
    expect(order(object)).toEqual([`zz-operator Update v1  ${T1}`, `aa-operator Update v1  ${T2}`]);
  });

  it('orders entries of the same second by manager byte by byte (upper case before lower case)', () => {
    let object = recordUpdate(undefined, { metadata: {}, data: { a: '1' } }, SCHEMA, update('deckhouse'), MAIN, T1);
    object = recordUpdate(object, { metadata: {}, data: { a: '1', b: '2' } }, SCHEMA, update('Go-http-client'), MAIN, T1);
    expect(order(object)).toEqual([`Go-http-client Update v1  ${T1}`, `deckhouse Update v1  ${T1}`]);
  });

  it('orders one manager\'s entries of the same second by apiVersion, then the main resource before status', () => {
    let object = recordUpdate(undefined, { metadata: {}, data: { a: '1' }, status: { phase: 'x' } }, SCHEMA, update('controller', 'v1', 'status'), STATUS, T1);
    object = recordUpdate(object, { metadata: {}, data: { a: '1', b: '2' }, status: { phase: 'x' } }, SCHEMA, update('controller', 'v1'), MAIN, T1);
    object = recordUpdate(object, { metadata: {}, data: { a: '1', b: '2', c: '3' }, status: { phase: 'x' } }, SCHEMA, update('controller', 'v1beta1'), MAIN, T1);
    expect(order(object)).toEqual([`controller Update v1  ${T1}`, `controller Update v1 status ${T1}`, `controller Update v1beta1  ${T1}`]);
  });
});
