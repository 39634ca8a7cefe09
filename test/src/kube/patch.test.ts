/** JSON merge patch (RFC 7386) and JSON patch (RFC 6902) as kube-apiserver applies them. */
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch } from './patch.js';
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
