/**
 * What tests around netfleet's agent need from the server beyond the API itself: bearer-token
 * authentication and an RBAC-like allow list (401/403 as kube-apiserver sends them), TLS with
 * the generated kubeconfig, fault injection as seen by client-node, and the audit log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, KubeConfig, Watch, makeInformer } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeApiServer, type KubeApiServer } from './server.js';
import { eventually, rejection } from './test-support.js';

const exec = promisify(execFile);

describe('when requests carry bearer tokens (authentication and authorization)', () => {
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await startKubeApiServer({ tokens: { admin: '*', reader: ['get configmaps', 'list configmaps'], writer: ['* configmaps', 'create namespaces'] } });
    await kube.kubeConfig('admin').makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'team' } } });
  });

  afterAll(async () => {
    await kube?.stop();
  });

  it('answers 401 Unauthorized for an unknown token', async () => {
    await expect(kube.kubeConfig('stolen').makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 401 });
    const response = await fetch(`${kube.url}/api/v1/namespaces`, { headers: { authorization: 'Bearer stolen' } });
    expect(await response.json()).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
  });

  it('answers 403 Forbidden with the RBAC wording for a verb the token may not use', async () => {
    const status = await rejection(kube.kubeConfig('reader').makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'x' } } }));
    expect(status).toMatchObject({
      code: 403, reason: 'Forbidden',
      message: 'configmaps is forbidden: User "reader" cannot create resource "configmaps" in API group "" in the namespace "team"',
    });
  });

  it('allows what the grants list and records the user in the audit log', async () => {
    kube.audit.clear();
    await kube.kubeConfig('writer').makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: 'team', body: { metadata: { name: 'ok' } } });
    const list = await kube.kubeConfig('reader').makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace: 'team' });
    expect(list.items.map((item) => item.metadata?.name)).toEqual(['ok']);
    expect(kube.audit.map((entry) => `${entry.user} ${entry.verb} ${entry.resource} ${entry.status}`)).toEqual([
      'writer create configmaps 201', 'reader list configmaps 200',
    ]);
  });
});

describe('when the server runs with TLS', () => {
  it('is reachable through the written kubeconfig file, trusting its self-signed CA', async () => {
    const kube = await startKubeApiServer({ tls: true });
    try {
      expect(kube.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const config = new KubeConfig();
      config.loadFromFile(kube.kubeconfigPath);
      const namespaces = await config.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items).toEqual([]);
    } finally {
      await kube.stop();
    }
  });
});

describe('when kubectl uses the written kubeconfig (TLS; kubectl sends no bearer token over plain http)', () => {
  it('lists, creates and server-side-applies (with --validate=false: /openapi is not served)', async () => {
    const kube = await startKubeApiServer({ tls: true });
    const directory = await mkdtemp(join(tmpdir(), 'netfleet-kubectl-'));
    try {
      const kubectl = async (...args: string[]) => (await exec('kubectl', ['--kubeconfig', kube.kubeconfigPath, '--request-timeout=10s', ...args])).stdout;
      expect(await kubectl('create', 'namespace', 'shell')).toContain('namespace/shell created');
      const manifest = join(directory, 'cm.yaml');
      await writeFile(manifest, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-kubectl\n  namespace: shell\ndata:\n  a: "1"\n');
      expect(await kubectl('apply', '--server-side', '--validate=false', '-f', manifest)).toContain('configmap/from-kubectl serverside-applied');
      const read = await kube.kubeConfig().makeApiClient(CoreV1Api).readNamespacedConfigMap({ name: 'from-kubectl', namespace: 'shell' });
      expect(read.metadata?.managedFields?.map((entry) => `${entry.manager} ${entry.operation}`)).toEqual(['kubectl Apply']);
      expect(await kubectl('get', 'configmaps', '-n', 'shell', '-o', 'name')).toBe('configmap/from-kubectl\n');
    } finally {
      await kube.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('when faults are injected', () => {
  let kube: KubeApiServer;
  let core: CoreV1Api;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    core = kube.kubeConfig().makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'faults' } } });
  });

  afterEach(async () => {
    await kube.faults.clear();
  });

  afterAll(async () => {
    await kube?.stop();
  });

  it('fails the chosen verbs with 500 InternalError', async () => {
    kube.faults.set({ verbs: ['list'], status: 500, rate: 1 });
    expect(await rejection(core.listNamespacedConfigMap({ namespace: 'faults' }))).toMatchObject({ code: 500, reason: 'InternalError' });
    await core.createNamespacedConfigMap({ namespace: 'faults', body: { metadata: { name: 'still-works' } } });
  });

  it('answers 429 with a Retry-After header client-node exposes', async () => {
    kube.faults.set({ status: 429, rate: 1, retryAfterSeconds: 7 });
    try {
      await core.listNamespacedConfigMap({ namespace: 'faults' });
      expect.unreachable('the request should have failed');
    } catch (error) {
      const failure = error as { code: number; headers: Record<string, string> };
      expect(failure.code).toBe(429);
      expect(failure.headers['retry-after']).toBe('7');
    }
  });

  it('answers 409 Conflict on writes', async () => {
    kube.faults.set({ verbs: ['create'], status: 409, rate: 1 });
    expect(await rejection(core.createNamespacedConfigMap({ namespace: 'faults', body: { metadata: { name: 'c' } } }))).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('fails exactly the given share of matching requests', async () => {
    kube.faults.set({ verbs: ['get'], status: 500, rate: 0.5 });
    const outcomes: number[] = [];
    for (let index = 0; index < 6; index += 1) {
      outcomes.push(await core.readNamespace({ name: 'faults' }).then(() => 200, (error: { code: number }) => error.code));
    }
    expect(outcomes).toEqual([200, 500, 200, 500, 200, 500]);
  });

  it('adds latency to every request', async () => {
    kube.faults.latency(150);
    const started = performance.now();
    await core.readNamespace({ name: 'faults' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('cuts watch connections; an informer reconnects from its resourceVersion and sees later events', async () => {
    const informer = makeInformer(kube.kubeConfig(), '/api/v1/namespaces/faults/configmaps', () => core.listNamespacedConfigMap({ namespace: 'faults' }));
    const added: string[] = [];
    informer.on('add', (object) => added.push(object.metadata?.name ?? ''));
    await informer.start();
    try {
      kube.audit.clear();
      kube.faults.cutWatches();
      await eventually(() => kube.audit.filter((entry) => entry.verb === 'watch').length >= 1);
      await core.createNamespacedConfigMap({ namespace: 'faults', body: { metadata: { name: 'after-cut' } } });
      await eventually(() => added.includes('after-cut'));
    } finally {
      await informer.stop();
    }
  });

  it('takes the server down (connections refused, watches ended) and brings it back on the same port', async () => {
    let ended: unknown = 'open';
    await new Watch(kube.kubeConfig()).watch('/api/v1/namespaces', {}, () => undefined, (error) => { ended = error; });
    await kube.faults.down(true);
    await eventually(() => ended !== 'open');
    await expect(core.readNamespace({ name: 'faults' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await kube.faults.down(false);
    expect((await core.readNamespace({ name: 'faults' })).metadata?.name).toBe('faults');
  });
});

describe('when requests are audited', () => {
  it('records verb, resource, namespace, name, status, dryRun and fieldManager of each request', async () => {
    const kube = await startKubeApiServer();
    try {
      const core = kube.kubeConfig().makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: 'audited' } } });
      kube.audit.clear();
      await core.createNamespacedConfigMap({ namespace: 'audited', body: { metadata: { name: 'cm' } }, dryRun: 'All', fieldManager: 'netfleet' });
      await rejection(core.readNamespacedConfigMap({ name: 'cm', namespace: 'audited' }));
      expect(kube.audit).toMatchObject([
        { user: 'netfleet-admin', verb: 'create', method: 'POST', group: '', resource: 'configmaps', namespace: 'audited', status: 201, dryRun: true, fieldManager: 'netfleet' },
        { verb: 'get', method: 'GET', resource: 'configmaps', namespace: 'audited', name: 'cm', status: 404, dryRun: false },
      ]);
      kube.audit.clear();
      expect(kube.audit).toHaveLength(0);
    } finally {
      await kube.stop();
    }
  });
});
