/** JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch as kube-apiserver applies them. */
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import type { Schema } from './schema.js';
import { KubeStatusError } from './status.js';

describe('when a JSON merge patch is applied', () => {
  it.each([
    [{ a: 1, b: { c: 2 } }, { b: { d: 3 } }, { a: 1, b: { c: 2, d: 3 } }],
    [{ a: 1, b: 2 }, { b: null }, { a: 1 }],
    [{ list: [1, 2] }, { list: [3] }, { list: [3] }],
    [{ a: { b: 1 } }, { a: 'x' }, { a: 'x' }],
  ])('patches %j with %j into %j', (target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });
});

describe('when a JSON patch is applied', () => {
  it.each([
    [{ a: 1 }, [{ op: 'add', path: '/b', value: 2 }], { a: 1, b: 2 }],
    [{ list: [1, 3] }, [{ op: 'add', path: '/list/1', value: 2 }], { list: [1, 2, 3] }],
    [{ list: [1] }, [{ op: 'add', path: '/list/-', value: 2 }], { list: [1, 2] }],
    [{ a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    [{ a: 1 }, [{ op: 'replace', path: '/a', value: 5 }], { a: 5 }],
    [{ a: { b: 1 } }, [{ op: 'move', from: '/a/b', path: '/c' }], { a: {}, c: 1 }],
    [{ a: 1 }, [{ op: 'copy', from: '/a', path: '/b' }], { a: 1, b: 1 }],
    [{ 'x/y': 1 }, [{ op: 'test', path: '/x~1y', value: 1 }], { 'x/y': 1 }],
  ])('patches %j with %j into %j', (target, patch, expected) => {
    expect(applyJsonPatch(target, patch)).toEqual(expected);
  });

  it.each([
    [{ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]],
    [{ a: 1 }, [{ op: 'remove', path: '/b' }]],
    [{ a: 1 }, [{ op: 'replace', path: '/b', value: 1 }]],
  ])('rejects %j with %j as 422', (target, patch) => {
    expect(() => applyJsonPatch(target, patch)).toThrow(KubeStatusError);
    try {
      applyJsonPatch(target, patch);
    } catch (error) {
      expect((error as KubeStatusError).code).toBe(422);
    }
  });
});

describe('when a strategic merge patch is applied to a built-in kind', () => {
  const service: Schema = {
    type: 'object',
    properties: {
      metadata: { type: 'object', properties: { finalizers: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } } } },
      spec: {
        type: 'object',
        properties: {
          ports: {
            type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['port', 'protocol'],
            items: { type: 'object', properties: { port: { type: 'integer' }, name: { type: 'string' } } },
          },
          externalIPs: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  };
  const live = { metadata: { finalizers: ['a', 'b'] }, spec: { ports: [{ port: 80, name: 'http' }, { port: 443, name: 'https' }], externalIPs: ['1.1.1.1'] } };

  it.each([
    ['merges map-list items by their merge key', { spec: { ports: [{ port: 80, name: 'web' }] } },
      { ...live, spec: { ...live.spec, ports: [{ port: 80, name: 'web' }, { port: 443, name: 'https' }] } }],
    ['appends new map-list items', { spec: { ports: [{ port: 8080 }] } },
      { ...live, spec: { ...live.spec, ports: [...live.spec.ports, { port: 8080 }] } }],
    ['deletes an item with $patch: delete', { spec: { ports: [{ port: 443, $patch: 'delete' }] } },
      { ...live, spec: { ...live.spec, ports: [{ port: 80, name: 'http' }] } }],
    ['replaces atomic lists', { spec: { externalIPs: ['2.2.2.2'] } }, { ...live, spec: { ...live.spec, externalIPs: ['2.2.2.2'] } }],
    ['merges set lists by value', { metadata: { finalizers: ['c'] } }, { ...live, metadata: { finalizers: ['a', 'b', 'c'] } }],
    ['removes values with $deleteFromPrimitiveList', { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, { ...live, metadata: { finalizers: ['b'] } }],
    ['replaces a map with $patch: replace', { spec: { $patch: 'replace', externalIPs: [] } }, { ...live, spec: { externalIPs: [] } }],
  ])('%s', (_case, patch, expected) => {
    expect(applyStrategicMergePatch(live, patch, service)).toEqual(expected);
  });
});
