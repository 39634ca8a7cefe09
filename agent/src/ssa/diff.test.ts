import { describe, expect, it } from 'vitest';
import { HIDDEN_VALUE, type KubeObject } from '@netfleet/shared';
import { alignIgnored, comparable, diffFields, driftedFields, jsonEqual, removePointer, unifiedDiff } from './diff.js';

const controller = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'deckhouse.io/v1',
  kind: 'IngressNginxController',
  metadata: { name: 'main', resourceVersion: '7', uid: 'u1', managedFields: [{ manager: 'netfleet' }], ...metadata },
  spec,
  status: { loadBalancer: { ip: '10.0.0.1' } },
});

describe('diffFields', () => {
  it.each([
    { name: 'equal scalars', desired: 1, live: 1, want: [] },
    { name: 'changed scalar', desired: { a: 1 }, live: { a: 2 }, want: [{ path: '/a', desired: 1, live: 2 }] },
    { name: 'missing on live', desired: { a: 1 }, live: {}, want: [{ path: '/a', desired: 1 }] },
    { name: 'extra on live', desired: {}, live: { b: true }, want: [{ path: '/b', live: true }] },
    { name: 'same-length arrays item by item', desired: { l: [1, 2] }, live: { l: [1, 3] }, want: [{ path: '/l/1', desired: 2, live: 3 }] },
    { name: 'different-length arrays whole', desired: { l: [1] }, live: { l: [1, 2] }, want: [{ path: '/l', desired: [1], live: [1, 2] }] },
    { name: 'keys with slash and tilde escaped', desired: { 'a/b~c': 1 }, live: { 'a/b~c': 2 }, want: [{ path: '/a~1b~0c', desired: 1, live: 2 }] },
    { name: 'key order ignored', desired: { a: 1, b: 2 }, live: { b: 2, a: 1 }, want: [] },
  ])('reports $name', ({ desired, live, want }) => {
    expect(diffFields(desired, live)).toEqual(want);
  });
});

describe('jsonEqual', () => {
  it.each([
    [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [[1, 2], [2, 1], false],
    [null, null, true],
    ['1', 1, false],
  ])('compares %j with %j as %s', (a, b, want) => {
    expect(jsonEqual(a, b)).toBe(want);
  });
});

describe('removePointer', () => {
  const root = () => ({ spec: { minReplicas: 1, list: ['a', 'b'] } });
  it.each([
    { pointer: '/spec/minReplicas', want: { spec: { list: ['a', 'b'] } } },
    { pointer: '/spec/list/0', want: { spec: { minReplicas: 1, list: ['b'] } } },
    { pointer: '/spec/absent/deeper', want: root() },
    { pointer: 'not-a-pointer', want: root() },
  ])('removes $pointer', ({ pointer, want }) => {
    const value = root();
    removePointer(value, pointer);
    expect(value).toEqual(want);
  });
});

describe('comparable', () => {
  it('keeps labels, annotations and the body, and drops the rest of metadata and status', () => {
    const view = comparable(controller({ inlet: 'LoadBalancer' }, { labels: { a: 'b' }, annotations: { c: 'd' } }));
    expect(view).toEqual({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { labels: { a: 'b' }, annotations: { c: 'd' } }, spec: { inlet: 'LoadBalancer' } });
  });
});

describe('driftedFields', () => {
  it('does not report server-managed metadata or status', () => {
    const dryRun = controller({ inlet: 'LoadBalancer', minReplicas: 1 }, { resourceVersion: '8', managedFields: [] });
    const live = { ...controller({ inlet: 'LoadBalancer', minReplicas: 1 }), status: { other: true } };
    expect(driftedFields(dryRun, live)).toEqual([]);
  });

  it('reports a changed managed field with both values', () => {
    expect(driftedFields(controller({ minReplicas: 2 }), controller({ minReplicas: 5 }))).toEqual([{ path: '/spec/minReplicas', desired: 2, live: 5 }]);
  });

  it('leaves out ignored JSON pointers', () => {
    expect(driftedFields(controller({ minReplicas: 2, maxReplicas: 3 }), controller({ minReplicas: 5, maxReplicas: 3 }), ['/spec/minReplicas'])).toEqual([]);
  });

  it('never shows Secret values', () => {
    const secret = (value: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { token: value } });
    const fields = driftedFields(secret('c2VjcmV0LW5ldw=='), secret('c2VjcmV0LW9sZA=='));
    expect(fields).toEqual([{ path: '/data/token', desired: HIDDEN_VALUE, live: HIDDEN_VALUE }]);
    expect(JSON.stringify(fields)).not.toContain('c2Vj');
  });
});

describe('unifiedDiff', () => {
  it('prints changed lines from live to desired', () => {
    const text = unifiedDiff('IngressNginxController/main', controller({ minReplicas: 2 }), controller({ minReplicas: 5 }));
    expect(text).toContain('--- live/IngressNginxController/main');
    expect(text).toContain('+++ desired/IngressNginxController/main');
    expect(text).toContain('-  minReplicas: 5');
    expect(text).toContain('+  minReplicas: 2');
  });

  it('names a changed Secret key without its values', () => {
    const secret = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data });
    const text = unifiedDiff('Secret/n/s', secret({ token: 'bmV3', same: 'eA==' }), secret({ token: 'b2xk', same: 'eA==' }));
    expect(text).toContain(`+  token: (${HIDDEN_VALUE})`);
    expect(text).not.toMatch(/bmV3|b2xk|eA==/);
    expect(text).not.toMatch(/[-+] {2}same/);
  });
});

describe('alignIgnored', () => {
  const live = controller({ inlet: 'LoadBalancer', minReplicas: 7, loadBalancer: { realIPHeader: 'X-Real-IP' } });
  it.each([
    { name: 'takes the live value at an ignored path', ignore: ['/spec/minReplicas'], want: { inlet: 'LoadBalancer', minReplicas: 7, maxReplicas: 3 } },
    { name: 'leaves out an ignored field live does not have', ignore: ['/spec/maxReplicas'], want: { inlet: 'LoadBalancer', minReplicas: 2 } },
    { name: 'creates parents for a nested ignored path', ignore: ['/spec/loadBalancer/realIPHeader'], want: { inlet: 'LoadBalancer', minReplicas: 2, maxReplicas: 3, loadBalancer: { realIPHeader: 'X-Real-IP' } } },
    { name: 'changes nothing without ignore rules', ignore: [], want: { inlet: 'LoadBalancer', minReplicas: 2, maxReplicas: 3 } },
  ])('$name', ({ ignore, want }) => {
    const desired = controller({ inlet: 'LoadBalancer', minReplicas: 2, maxReplicas: 3 });
    expect(alignIgnored(desired, live, ignore).spec).toEqual(want);
    expect(desired.spec).toEqual({ inlet: 'LoadBalancer', minReplicas: 2, maxReplicas: 3 });
  });

  it('keeps the rendered values for an object that does not exist yet', () => {
    const desired = controller({ minReplicas: 2 });
    expect(alignIgnored(desired, undefined, ['/spec/minReplicas'])).toBe(desired);
  });
});
