import { describe, expect, it } from 'vitest';
import { pointerOf } from './field-path.js';

const object = {
  metadata: { labels: { 'app.kubernetes.io/name': 'web', app: 'x' } },
  spec: {
    minReplicas: 2,
    ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }, { port: 443, protocol: 'TCP', targetPort: 8443 }],
    finalizers: ['a', 'b'],
    containers: [{ name: 'nginx', image: 'nginx:1' }],
  },
};

describe('pointerOf', () => {
  it.each([
    { path: '.spec.minReplicas', want: '/spec/minReplicas' },
    { path: '.metadata.labels.app.kubernetes.io/name', want: '/metadata/labels/app.kubernetes.io~1name' },
    { path: '.metadata.labels.app', want: '/metadata/labels/app' },
    { path: '.spec.ports[port=443,protocol="TCP"].targetPort', want: '/spec/ports/1/targetPort' },
    { path: '.spec.containers[name="nginx"].image', want: '/spec/containers/0/image' },
    { path: '.spec.finalizers[="b"]', want: '/spec/finalizers/1' },
    { path: '.spec.ports[0].port', want: '/spec/ports/0/port' },
    { path: '.spec.absent', want: '/spec/absent' },
  ])('resolves $path to $want', ({ path, want }) => {
    expect(pointerOf(object, path)).toBe(want);
  });

  it.each([
    { path: '.spec.ports[port=8080,protocol="TCP"].targetPort', why: 'no such list item' },
    { path: '.spec.ports[7].port', why: 'index out of range' },
    { path: '.spec.minReplicas[0]', why: 'not a list' },
  ])('cannot follow $path ($why)', ({ path }) => {
    expect(pointerOf(object, path)).toBeUndefined();
  });
});
