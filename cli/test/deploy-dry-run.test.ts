/**
 * Every manifest under deploy/ (the kustomize bases, the example overlays, the monitoring
 * objects) passes a server-side dry-run (dryRun=All, strict field validation) against the
 * Kubernetes API test server, with the prometheus-operator CRDs installed the way a user
 * installs them (test/fixtures/prometheus-operator, applied through the API). kubectl
 * builds the kustomizations; CI has it, elsewhere the test is skipped, saying so.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { startKubeApiServer, type KubeApiServer } from '@netfleet/test';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const CRDS = join(ROOT, 'test', 'fixtures', 'prometheus-operator');
const run = promisify(execFile);
const KUBECTL = spawnSync('sh', ['-c', 'command -v kubectl']).status === 0;
const KUBECTL_SKIP = KUBECTL ? '' : ' (skipped: kubectl is not installed)';

type Manifest = Parameters<KubeClient['apply']>[0] & { metadata: { name: string; namespace?: string } };

/** Every file under a folder, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

async function kustomizations(): Promise<string[]> {
  return (await filesUnder(DEPLOY)).filter((file) => file.endsWith('kustomization.yaml')).map(dirname).sort();
}

async function built(dir: string): Promise<Manifest[]> {
  const { stdout } = await run('kubectl', ['kustomize', join(DEPLOY, dir)], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
}

const identity = (object: Manifest) => `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;

let kube: KubeApiServer;
let admin: KubeClient;

beforeAll(async () => {
  kube = await startKubeApiServer();
  admin = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 0 } });
  for (const file of (await readdir(CRDS)).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(await readFile(join(CRDS, file), 'utf8'))) {
      await admin.apply(document.toJS() as Manifest, { force: false });
    }
  }
}, 60_000);

afterAll(async () => {
  await kube?.stop();
});

describe('deploy/', () => {
  it('has every manifest in a kustomization, so the dry-run below sees them all', async () => {
    const listed = new Set<string>();
    for (const dir of await kustomizations()) {
      const kustomization = parse(await readFile(join(DEPLOY, dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[]; configMapGenerator?: Array<{ files?: string[] }> };
      for (const file of [...kustomization.resources ?? [], ...(kustomization.configMapGenerator ?? []).flatMap((generator) => generator.files ?? [])]) {
        listed.add(relative(DEPLOY, resolve(DEPLOY, dir, file)));
      }
    }
    const manifests = (await filesUnder(DEPLOY)).filter((file) => /\.(ya?ml|json)$/.test(file) && !file.endsWith('kustomization.yaml'));
    expect(manifests.filter((file) => !listed.has(file))).toEqual([]);
  });

  it.skipIf(!KUBECTL)(`builds with kubectl kustomize and passes a server-side dry-run, every object of every base and overlay${KUBECTL_SKIP}`, async () => {
    const dirs = await kustomizations();
    expect(dirs).toEqual(expect.arrayContaining(['agent', 'hub', 'redis', 'monitoring/agent', 'monitoring/hub', 'overlays/agent-example', 'overlays/hub-example']));
    const builds = new Map<string, Manifest[]>();
    for (const dir of dirs) builds.set(dir, await built(dir));
    // kube-apiserver refuses a namespaced object whose namespace does not exist, dry-run or
    // not: the namespaces are created for real first, everything else only dry-run.
    const namespaces = new Set([...builds.values()].flat().flatMap((object) => (object.kind === 'Namespace' ? [object.metadata.name] : object.metadata.namespace ?? [])));
    for (const name of namespaces) await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { force: false });
    const refused: string[] = [];
    for (const [dir, objects] of builds) {
      for (const object of objects) {
        await admin.apply(object, { force: false, dryRun: true }).catch((error: Error) => refused.push(`${dir}: ${identity(object)}: ${error.message}`));
      }
    }
    expect(refused).toEqual([]);
    const kinds = new Set([...builds.values()].flat().map((object) => object.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['PodMonitor', 'ServiceMonitor', 'PrometheusRule', 'NetworkPolicy', 'StatefulSet', 'ConfigMap']));
    // Dry-run: nothing but the namespaces was stored.
    expect(await admin.get({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', namespace: 'netfleet-hub', name: 'netfleet-hub' })).toBeUndefined();
  });

  it.skipIf(!KUBECTL)(`is checked for real against the CRDs: a misspelt field, a bad duration or strategy, a missing selector is refused${KUBECTL_SKIP}`, async () => {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-hub' } }, { force: false });
    const objects = [...await built('monitoring/agent'), ...await built('monitoring/hub')];
    const find = (kind: string) => structuredClone(objects.find((object) => object.kind === kind)!) as Manifest & { spec: Record<string, unknown> };
    const rule = find('PrometheusRule') as Manifest & { spec: { groups: Array<{ rules: Array<Record<string, unknown>> }> } };
    // Thanos' field, its pattern in RE2 syntax (`^(?i)(abort|warn)?$`): any case passes, nothing else.
    (rule.spec.groups[0] as Record<string, unknown>).partial_response_strategy = 'WARN';
    await expect(admin.apply(rule, { force: false, dryRun: true })).resolves.toMatchObject({ kind: 'PrometheusRule' });
    (rule.spec.groups[0] as Record<string, unknown>).partial_response_strategy = 'maybe';
    await expect(admin.apply(rule, { force: false, dryRun: true })).rejects.toThrow(/partial_response_strategy/);
    delete (rule.spec.groups[0] as Record<string, unknown>).partial_response_strategy;
    rule.spec.groups[0]!.rules[0]!.for = '10 minutes';
    await expect(admin.apply(rule, { force: false, dryRun: true })).rejects.toThrow(/for/);
    const monitor = find('ServiceMonitor');
    monitor.spec.endpoint = monitor.spec.endpoints;
    await expect(admin.apply(monitor, { force: false, dryRun: true })).rejects.toThrow(/endpoint/);
    const podMonitor = find('PodMonitor');
    delete podMonitor.spec.selector;
    await expect(admin.apply(podMonitor, { force: false, dryRun: true })).rejects.toThrow(/selector/);
  });
});
