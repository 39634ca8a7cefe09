/**
 * Watches as kube-apiserver's watch cache serves them, seen through client-node's Watch and
 * makeInformer: ADDED/MODIFIED/DELETED, resumption from a resourceVersion, 410 Expired for
 * one older than the cache window, bookmarks, timeoutSeconds, selector transitions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubernetesObjectApi, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { startKubeApiServer, type KubeApiServer } from './server.js';
import { apply, eventually, startWatch, type Manifest } from './test-support.js';

let kube: KubeApiServer;
let core: CoreV1Api;
let objects: KubernetesObjectApi;

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>): Manifest => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'watch', ...(labels ? { labels } : {}) }, data,
});

beforeAll(async () => {
  kube = await startKubeApiServer({ watchCacheSize: 5, bookmarkIntervalMs: 50 });
  core = kube.kubeConfig().makeApiClient(CoreV1Api);
  objects = KubernetesObjectApi.makeApiClient(kube.kubeConfig());
  await core.createNamespace({ body: { metadata: { name: 'watch' } } });
});

afterAll(async () => {
  await kube?.stop();
});

describe('when an informer (client-node makeInformer) watches ConfigMaps', () => {
  it('sees add, update and delete events from the server', async () => {
    const informer = makeInformer(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', () => core.listNamespacedConfigMap({ namespace: 'watch' }));
    const seen: string[] = [];
    informer.on('add', (object) => seen.push(`add ${object.metadata?.name}`));
    informer.on('update', (object) => seen.push(`update ${object.metadata?.name} ${(object as V1ConfigMap).data?.v}`));
    informer.on('delete', (object) => seen.push(`delete ${object.metadata?.name}`));
    await informer.start();
    try {
      await apply(objects, configMap('informed', { v: '1' }), 'netfleet');
      await eventually(() => seen.includes('add informed'));
      await apply(objects, configMap('informed', { v: '2' }), 'netfleet');
      await eventually(() => seen.includes('update informed 2'));
      await core.deleteNamespacedConfigMap({ name: 'informed', namespace: 'watch' });
      await eventually(() => seen.includes('delete informed'));
      expect(seen).toEqual(['add informed', 'update informed 2', 'delete informed']);
      expect(informer.list('watch')).toEqual([]);
    } finally {
      await informer.stop();
    }
  });
});

describe('when an informer comes back after missing more events than the watch cache holds', () => {
  it('gets 410 Expired on its resumed watch, relists and converges on the current state', async () => {
    const informer = makeInformer(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', () => core.listNamespacedConfigMap({ namespace: 'watch', labelSelector: 'app=late' }), 'app=late');
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    await apply(objects, configMap('late-a', { v: '0' }, { app: 'late' }), 'netfleet');
    await informer.start();
    await eventually(() => informer.list('watch').length === 1);
    await kube.faults.down(true);
    await eventually(() => errors.length > 0);
    await kube.faults.down(false);
    for (let index = 1; index <= 6; index += 1) await apply(objects, configMap('late-a', { v: String(index) }, { app: 'late' }), 'netfleet');
    await apply(objects, configMap('late-b', { v: '1' }, { app: 'late' }), 'netfleet');
    kube.audit.clear();
    await informer.start();
    try {
      await eventually(() => informer.list('watch').map((object) => `${object.metadata?.name}=${(object as V1ConfigMap).data?.v}`).sort().join(',') === 'late-a=6,late-b=1');
      // The informer watches again after the relist has filled its cache: wait for that request too.
      await eventually(() => expect(kube.audit.map((entry) => entry.verb)).toEqual(['watch', 'list', 'watch']));
    } finally {
      await informer.stop();
    }
  });
});

describe('when a watch starts from a resourceVersion', () => {
  it('replays the events after it from the watch cache, then streams new ones', async () => {
    const created = await apply(objects, configMap('resume', { v: '1' }), 'netfleet');
    await apply(objects, configMap('resume', { v: '2' }), 'netfleet');
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { resourceVersion: created.metadata?.resourceVersion });
    await apply(objects, configMap('resume', { v: '3' }), 'netfleet');
    await eventually(() => watch.events.length === 2);
    expect(watch.events.map((event) => event.type)).toEqual(['MODIFIED', 'MODIFIED']);
    watch.stop();
  });

  it('sends the current state as ADDED events when no resourceVersion is given', async () => {
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { fieldSelector: 'metadata.name=resume' });
    await eventually(() => watch.events.length === 1);
    expect(watch.events[0]).toMatchObject({ type: 'ADDED', name: 'resume' });
    watch.stop();
  });

  it('answers an ERROR event with a 410 Expired Status for one older than the cache window', async () => {
    const first = await apply(objects, configMap('churn', { v: '0' }), 'netfleet');
    for (let index = 1; index <= 6; index += 1) await apply(objects, configMap('churn', { v: String(index) }), 'netfleet');
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { resourceVersion: first.metadata?.resourceVersion });
    await watch.ended;
    expect(watch.events).toMatchObject([{ type: 'ERROR', code: 410, name: undefined, resourceVersion: undefined }]);
  });

  it('turns a label change out of the selector into DELETED and back into ADDED', async () => {
    await apply(objects, configMap('moving', { v: '1' }, { tier: 'a' }), 'netfleet');
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { labelSelector: 'tier=a', resourceVersion: '0' });
    await eventually(() => watch.events.length === 1);
    await apply(objects, configMap('moving', { v: '1' }, { tier: 'b' }), 'netfleet');
    await apply(objects, configMap('moving', { v: '1' }, { tier: 'a' }), 'netfleet');
    await eventually(() => watch.events.length === 3);
    expect(watch.events.map((event) => event.type)).toEqual(['ADDED', 'DELETED', 'ADDED']);
    watch.stop();
  });
});

describe('when a watch asks for bookmarks and a timeout', () => {
  it('sends BOOKMARK events carrying the current resourceVersion', async () => {
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { allowWatchBookmarks: true, resourceVersion: '0', fieldSelector: 'metadata.name=none' });
    await eventually(() => watch.events.some((event) => event.type === 'BOOKMARK'));
    const bookmark = watch.events.find((event) => event.type === 'BOOKMARK');
    expect(Number(bookmark?.resourceVersion)).toBeGreaterThan(0);
    watch.stop();
  });

  it('ends the stream after timeoutSeconds', async () => {
    const watch = await startWatch(kube.kubeConfig(), '/api/v1/namespaces/watch/configmaps', { timeoutSeconds: 1, resourceVersion: '0', fieldSelector: 'metadata.name=none' });
    await expect(watch.ended).resolves.toBeNull();
  });
});
