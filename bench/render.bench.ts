/**
 * `pnpm bench:render`: renders a generated fleet of 1,000 clusters and prints the time and
 * peak RSS, next to two baselines measured in the same run on the same machine:
 *   - yaml parse + stringify: reading and writing the same repository files, nothing more;
 *   - `kubectl kustomize` on an equivalent plain-manifest tree (the rendered objects written
 *     out as one kustomization per cluster). kustomize grows superlinearly with the number of
 *     resources (1,000 clusters do not finish in minutes), so it builds the first
 *     KUSTOMIZE_CLUSTERS clusters only; compare per cluster.
 * It also previews a change of that fleet (`netfleet preview`: both revisions read from the
 * local git repository, rendered for every cluster and compared), next to native `git diff`
 * of the same change as a baseline.
 * Each measurement runs in its own process pinned to one core, so its peak RSS is its own.
 * Targets: the netfleet render under 2 s and the preview under 3 s on one core.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// bench/ is not a workspace package: take the parser the renderer itself uses.
import { parseAllDocuments, stringify } from '../shared/node_modules/yaml/dist/index.js';
import { previewRepository } from '../cli/src/preview/repository.js';
import { FsRepoReader, loadFleet, renderFleet } from '../shared/src/index.js';

const run = promisify(execFile);
const CLUSTERS = 1000;
const REGIONS = 10;
const MESH_GROUP_SIZE = 10;
const TARGET_MS = 2000;
const PREVIEW_TARGET_MS = 3000;
const KUSTOMIZE_CLUSTERS = 100;

interface Measurement {
  /** Wall-clock time. */
  ms: number;
  /** CPU time (user + system) of the process during the measurement: robust when the machine is busy. */
  cpuMs: number;
  maxRssMb: number;
  detail: string;
}

const doc = (kind: string, name: string, body: string) => `apiVersion: netfleet.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${body}`;

/** A fleet like examples/fleet, scaled: 1,000 clusters in 10 regions, 100 federation groups of 10. */
function generateFleet(): Map<string, string> {
  const files = new Map<string, string>();
  for (let region = 0; region < REGIONS; region += 1) {
    const documents: string[] = [];
    for (let index = 0; index < CLUSTERS / REGIONS; index += 1) {
      const name = `r${region}-c${index}`;
      const baremetal = index % 5 === 0;
      documents.push(
        doc('Cluster', name, `  labels:\n    env: ${index % 10 === 0 ? 'staging' : 'prod'}\n    infrastructure: ${baremetal ? 'baremetal' : 'cloud'}\n    tier: ${index % 3 === 0 ? 'edge' : 'core'}\nspec:\n  region: region-${region}\n  publicDomain: ${name}.k8s.example.com\n  clusterDomain: ${name}.cluster\n  vars:\n    egressVIP: 10.${region}.${index}.10\n    ingressReplicas: ${2 + (index % 3)}\n    lbPool: 192.168.${index}.0/28\n`),
      );
    }
    files.set(`clusters/region-${region}.yaml`, documents.join('---\n'));
  }
  files.set('network/ingress.yaml', `${doc('IngressProfile', 'public', 'targets:\n  all: true\npolicy:\n  ignore: [/spec/minReplicas]\nspec:\n  inlet: LoadBalancer\n  replicas:\n    min: 2\n    max: ${vars.ingressReplicas}\n  loadBalancer:\n    annotations:\n      service.beta.kubernetes.io/aws-load-balancer-type: nlb\n    sourceRanges: [0.0.0.0/0]\n  hsts: true\n')}overrides:\n  - targets:\n      matchLabels:\n        infrastructure: baremetal\n    spec:\n      loadBalancer:\n        annotations: null\n        l2:\n          addressPool: ["\${vars.lbPool}"]\n          interfaces: [bond0]\n---\n${doc('IngressProfile', 'internal', 'targets:\n  matchExpressions:\n    - key: env\n      operator: In\n      values: [prod]\nspec:\n  inlet: HostPort\n  ingressClass: internal\n  hostPort:\n    httpPort: 8080\n    httpsPort: 8443\n')}`);
  files.set('network/egress.yaml', doc('Egress', 'partners', 'targets:\n  matchLabels:\n    env: prod\nspec:\n  nodeSelector:\n    node-role.deckhouse.io/egress: ""\n  sourceIP:\n    virtualIPAddress:\n      ip: ${vars.egressVIP}\n  policies:\n    - name: payments\n      destinationCIDRs: [203.0.113.0/24]\n      selectors:\n        - namespace: payments\n'));
  files.set('network/policies.yaml', `${doc('PolicySet', 'baseline', 'targets:\n  all: true\nspec:\n  namespaces: [shop, payments]\n  blocks:\n    - type: defaultDeny\n    - type: allowDNS\n    - type: allowFromIngress\n')}---\n${doc('PolicySet', 'external', 'targets:\n  matchLabels:\n    env: prod\nspec:\n  namespaces: [payments]\n  blocks:\n    - type: allowToFQDN\n      name: processors\n      fqdns: [api.processor.example.net]\n      ports:\n        - port: 443\n')}`);
  const groups: string[] = [];
  for (let group = 0; group < CLUSTERS / MESH_GROUP_SIZE; group += 1) {
    const region = Math.floor(group / (CLUSTERS / REGIONS / MESH_GROUP_SIZE));
    const first = (group % (CLUSTERS / REGIONS / MESH_GROUP_SIZE)) * MESH_GROUP_SIZE;
    const members = Array.from({ length: MESH_GROUP_SIZE }, (_, i) => `r${region}-c${first + i}`);
    groups.push(doc('MeshGroup', `mesh-${group}`, `spec:\n  type: federation\n  members: [${members.join(', ')}]\n`));
  }
  files.set('mesh/groups.yaml', groups.join('---\n'));
  files.set('mesh/settings.yaml', doc('MeshSettings', 'istio', 'targets:\n  all: true\nspec:\n  globalVersion: "1.21"\n  ingressGateway:\n    inlet: LoadBalancer\n'));
  files.set('platform/dns.yaml', doc('DNSSettings', 'corporate', 'targets:\n  all: true\nspec:\n  upstreamNameservers: [10.0.0.53]\n  nodeLocalDNS: true\n'));
  files.set('platform/cni.yaml', doc('CNISettings', 'cilium', 'targets:\n  all: true\nspec:\n  tunnelMode: VXLAN\n'));
  files.set('platform/sets.yaml', doc('ManifestSet', 'base', 'targets:\n  all: true\nspec:\n  path: manifests/base\n'));
  files.set('manifests/base/base.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    region: ${cluster.region}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: payments\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-info\n  namespace: shop\ndata:\n  cluster: ${cluster.name}\n  domain: ${cluster.publicDomain}\n');
  files.set('rollout/default.yaml', doc('RolloutPolicy', 'default', 'spec:\n  waves:\n    - name: staging\n      selector:\n        matchLabels:\n          env: staging\n      bakeTime: 30m\n    - name: rest\n      selector:\n        all: true\n      maxParallel: 10%\n  onFailure: pause\n  unselectedClusters: lastWave\n'));
  return files;
}

async function writeTree(root: string, files: Map<string, string>): Promise<void> {
  for (const [path, text] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? listFiles(dir, join(prefix, entry.name)) : [join(prefix, entry.name)])));
  return nested.flat().sort();
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** In a child process: load + render every cluster of the repository at `dir`. */
async function measureRender(dir: string): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const fleet = await loadFleet(new FsRepoReader(dir));
  const loaded = performance.now();
  const { results, problems } = renderFleet(fleet);
  const ms = performance.now() - started;
  if (problems.length > 0) throw new Error(`the generated fleet has ${problems.length} problems`);
  const objects = [...results.values()].reduce((sum, result) => sum + result.objects.length, 0);
  return {
    ms,
    cpuMs: cpuSince(cpu),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    detail: `${results.size} clusters, ${objects} objects (load ${(loaded - started).toFixed(0)} ms, render ${(ms - (loaded - started)).toFixed(0)} ms)`,
  };
}

/** In a child process: preview the working tree's change against HEAD of the git repository at `dir`. */
async function measurePreview(dir: string): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const preview = await previewRepository({ repo: dir, from: 'HEAD', branch: 'main', pruneLimit: 0.5 });
  const changed = preview.clusters.filter((cluster) => cluster.status !== 'unchanged').length;
  return {
    ms: performance.now() - started,
    cpuMs: cpuSince(cpu),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    detail: `${preview.clusters.length} clusters, ${changed} change: ${preview.summary.slice(1, 3).join('; ')}`,
  };
}

/** Commits the generated fleet, then changes it in the work tree: a label renamed in one region, a mesh group grown. */
async function prepareChange(repo: string): Promise<void> {
  const git = (...args: string[]) => run('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@netfleet.test', ...args], { cwd: repo });
  await git('init', '--quiet', '--initial-branch=main');
  await git('add', '--all');
  await git('commit', '--quiet', '-m', 'generated fleet');
  const clusters = join(repo, 'clusters/region-0.yaml');
  await writeFile(clusters, (await readFile(clusters, 'utf8')).replaceAll('env: prod', 'env: production'));
  const groups = join(repo, 'mesh/groups.yaml');
  await writeFile(groups, (await readFile(groups, 'utf8')).replace('members: [r1-c0, ', 'members: [r1-c0, r1-c10, '));
}

/** Native `git diff` of the same change, on one core. */
async function measureGitDiff(repo: string): Promise<Measurement> {
  const started = performance.now();
  const { stderr, stdout } = await run('taskset', ['-c', '0', '/usr/bin/time', '-f', '%U %S %M', 'git', 'diff', '--stat', 'HEAD'], { cwd: repo });
  const ms = performance.now() - started;
  const [user, system, maxRssKb] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { ms, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000, maxRssMb: (maxRssKb ?? 0) / 1024, detail: stdout.trim().split('\n').pop() ?? '' };
}

/** In a child process: parse and stringify every YAML file of the repository. */
async function measureYaml(dir: string): Promise<Measurement> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let documents = 0;
  for (const path of await listFiles(dir)) {
    for (const document of parseAllDocuments(await readFile(join(dir, path), 'utf8'))) {
      stringify(document.toJS());
      documents += 1;
    }
  }
  return { ms: performance.now() - started, cpuMs: cpuSince(cpu), maxRssMb: process.resourceUsage().maxRSS / 1024, detail: `${documents} documents` };
}

/** Writes the rendered objects as a plain kustomize tree: one kustomization per cluster, name-prefixed. */
async function writeKustomizeTree(repo: string, root: string): Promise<number> {
  const { results } = renderFleet(await loadFleet(new FsRepoReader(repo)));
  const clusters: string[] = [];
  let objects = 0;
  for (const [cluster, result] of [...results].slice(0, KUSTOMIZE_CLUSTERS)) {
    const dir = join(root, cluster);
    await mkdir(dir, { recursive: true });
    // kustomize does not prefix Namespaces; give each cluster its own so the ids stay unique.
    const own = (namespace: string) => `${cluster}-${namespace}`;
    const plain = result.objects.map(({ object }) => ({
      ...object,
      metadata: {
        ...object.metadata,
        ...(object.kind === 'Namespace' ? { name: own(object.metadata.name) } : {}),
        ...(object.metadata.namespace ? { namespace: own(object.metadata.namespace) } : {}),
      },
    }));
    await writeFile(join(dir, 'objects.yaml'), plain.map((object) => `---\n${stringify(object)}`).join(''));
    await writeFile(join(dir, 'kustomization.yaml'), `resources: [objects.yaml]\nnamePrefix: ${cluster}-\n`);
    clusters.push(cluster);
    objects += result.objects.length;
  }
  await writeFile(join(root, 'kustomization.yaml'), `resources:\n${clusters.map((cluster) => `  - ${cluster}\n`).join('')}`);
  return objects;
}

/** Runs `kubectl kustomize` on one core, with its peak RSS from GNU time. */
async function measureKustomize(root: string, objects: number): Promise<Measurement> {
  const started = performance.now();
  const { stderr } = await run('taskset', ['-c', '0', '/usr/bin/time', '-f', '%U %S %M', 'kubectl', 'kustomize', root], { maxBuffer: 1024 * 1024 * 1024 });
  const ms = performance.now() - started;
  const [user, system, maxRssKb] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { ms, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000, maxRssMb: (maxRssKb ?? 0) / 1024, detail: `${objects} objects in ${KUSTOMIZE_CLUSTERS} kustomizations` };
}

/** Re-runs this file in a child process pinned to one core and reads its JSON result. */
async function inChild(mode: string, dir: string): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await run('taskset', ['-c', '0', process.execPath, '--import', 'tsx', self, mode, dir], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Measurement;
}

function line(name: string, m: Measurement): string {
  return `${name.padEnd(34)} ${m.cpuMs.toFixed(0).padStart(7)} ms CPU ${m.ms.toFixed(0).padStart(7)} ms wall ${m.maxRssMb.toFixed(0).padStart(5)} MB peak RSS  ${m.detail}`;
}

async function main(): Promise<void> {
  const [mode, dir] = process.argv.slice(2);
  if (mode === '--render' || mode === '--yaml' || mode === '--preview') {
    const measure = { '--render': measureRender, '--yaml': measureYaml, '--preview': measurePreview }[mode];
    const measurement = await measure(dir!);
    process.stdout.write(JSON.stringify(measurement));
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'netfleet-bench-render-'));
  try {
    const repo = join(work, 'fleet');
    await writeTree(repo, generateFleet());
    const renders = [await inChild('--render', repo), await inChild('--render', repo), await inChild('--render', repo)];
    const best = renders.reduce((a, b) => (a.cpuMs <= b.cpuMs ? a : b));
    const yamlBaseline = await inChild('--yaml', repo);
    const objects = await writeKustomizeTree(repo, join(work, 'kustomize'));
    const kustomize = await measureKustomize(join(work, 'kustomize'), objects);
    process.stdout.write(`render of a generated fleet of ${CLUSTERS} clusters (each measurement: own process, one core)\n`);
    process.stdout.write(`${line('netfleet load + render (first)', renders[0]!)}\n`);
    process.stdout.write(`${line('netfleet load + render (best of 3)', best)}\n`);
    process.stdout.write(`${line('baseline: yaml parse + stringify', yamlBaseline)}\n`);
    process.stdout.write(`${line(`baseline: kubectl kustomize (${KUSTOMIZE_CLUSTERS} cl.)`, kustomize)}\n`);
    process.stdout.write(`target < ${TARGET_MS} ms on one core (CPU time of the best run): ${best.cpuMs < TARGET_MS ? 'met' : 'MISSED'}\n`);

    await prepareChange(repo);
    const previews = [await inChild('--preview', repo), await inChild('--preview', repo), await inChild('--preview', repo)];
    const bestPreview = previews.reduce((a, b) => (a.cpuMs <= b.cpuMs ? a : b));
    const gitDiff = await measureGitDiff(repo);
    process.stdout.write(`\npreview of a change of that fleet (HEAD → working tree)\n`);
    process.stdout.write(`${line('netfleet preview (best of 3)', bestPreview)}\n`);
    process.stdout.write(`${line('baseline: git diff --stat', gitDiff)}\n`);
    process.stdout.write(`target < ${PREVIEW_TARGET_MS} ms on one core (CPU time of the best run): ${bestPreview.cpuMs < PREVIEW_TARGET_MS ? 'met' : 'MISSED'}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
