/**
 * The agent side of the apply/drift benchmark, in its own process so its memory is its
 * own: syncs N synthetic managed objects, then runs the measured phases when the parent
 * (which runs the API test server and reads its audit log) says so.
 */
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import type { KubeObject, RenderedObject, RenderResult } from '../shared/src/index.js';
import type { Reconciler as ReconcilerType } from '../agent/src/reconcile/reconcile.js';
import { peakRssMb } from './peak-rss.js';

// Measured before the agent's modules load: the runtime (node, and tsx when it runs the sources) alone.
const runtimeRssMb = process.memoryUsage().rss / 2 ** 20;
// What `netfleet agent` loads: the CLI's entry, then the agent command's modules (each
// command's chunk loads only when that command runs).
const { commands } = await import('../cli/src/commands/index.js');
await import('../cli/src/main.js');
await commands.find((command) => command.name === 'agent')!.load();
const { OWNER_LABEL, OWNER_VALUE, PROTOCOL_VERSION, objectId, refOf } = await import('../shared/src/index.js');
const { createLogger } = await import('../shared/src/log.js');
const { DriftDetector, defaultDriftOptions } = await import('../agent/src/drift/detector.js');
const { AgentEvents } = await import('../agent/src/events.js');
const { InventoryStore } = await import('../agent/src/inventory/index.js');
const { KubeClient } = await import('../agent/src/kube/client.js');
const { Reconciler, defaultReconcileOptions } = await import('../agent/src/reconcile/reconcile.js');
const { AppliedMemo } = await import('../agent/src/ssa/memo.js');
const { connectToHub } = await import('../agent/src/report/connect.js');
const { AssignmentClient } = await import('../agent/src/assignment/client.js');
const { kubeConfigFrom } = await import('../test/src/kube/config-options.js');
// And after: what the modules cost.
const loadedRssMb = process.memoryUsage().rss / 2 ** 20;

const [kubeConfigJson, countArg, hubUrl] = process.argv.slice(2);
const logger = createLogger({ name: 'bench-agent', level: 'warn' });

/**
 * What the RSS is made of (Linux): pages mapped from files (mostly the node binary's code,
 * shared with every node process on the node) and anonymous memory (the V8 heap, malloc).
 */
function rssParts(): { fileRssMb?: number; anonymousRssMb?: number } {
  let rollup: string;
  try {
    rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  } catch {
    return {};
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0) / 1024;
  return { fileRssMb: kb('Rss') - kb('Anonymous'), anonymousRssMb: kb('Anonymous') };
}

/** Sends a phase result to the parent and waits for it to finish counting. */
async function report(phase: string, data: Record<string, unknown>): Promise<void> {
  process.send!({ phase, ...data });
  await once(process, 'message');
}

function rendered(object: KubeObject): RenderedObject {
  object.metadata.labels = { ...object.metadata.labels, [OWNER_LABEL]: OWNER_VALUE };
  return {
    id: objectId(refOf(object)), object, hash: createHash('sha256').update(JSON.stringify(object)).digest('hex'),
    source: { file: 'bench.yaml', document: '0' }, policy: { force: false, drift: 'correct', ignore: [], prune: true, recreate: false },
  };
}

/** N objects over 6 kinds, in the proportions a large cluster's network config has. */
function syntheticObjects(count: number): RenderedObject[] {
  const objects: KubeObject[] = [];
  const namespaces = 10;
  for (let i = 0; i < namespaces; i++) objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${i}` } });
  for (const module of ['cni-cilium', 'kube-dns', 'ingress-nginx', 'istio']) {
    objects.push({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'ModuleConfig', metadata: { name: module }, spec: { enabled: true } });
  }
  for (let i = 0; i < 4; i++) {
    objects.push({ apiVersion: 'deckhouse.io/v1', kind: 'IngressNginxController', metadata: { name: `ingress-${i}` }, spec: { ingressClass: `class-${i}`, inlet: 'LoadBalancer', loadBalancer: {} } });
  }
  for (let i = 0; objects.length < count * 0.1; i++) {
    objects.push({ apiVersion: 'deckhouse.io/v1alpha1', kind: 'IstioFederation', metadata: { name: `peer-${i}` }, spec: { trustDomain: `peer-${i}.cluster`, metadataEndpoint: `https://istio.peer-${i}.example.com/metadata/` } });
  }
  for (let i = 0; objects.length < count * 0.25; i++) {
    objects.push({
      apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: `l7-${i}`, namespace: `team-${i % namespaces}` },
      spec: { endpointSelector: { matchLabels: { app: `app-${i}` } }, egress: [{ toFQDNs: [{ matchName: `api-${i}.example.com` }] }] },
    });
  }
  for (let i = 0; objects.length < count; i++) {
    objects.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `allow-${i}`, namespace: `team-${i % namespaces}` },
      spec: { podSelector: { matchLabels: { app: `app-${i}` } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8000 + (i % 1000), protocol: 'TCP' }] }] },
    });
  }
  return objects.map(rendered);
}

const objects = syntheticObjects(Number(countArg ?? 500));
const result: RenderResult = { cluster: 'bench', objects, hash: '' };
const source = { fetch: async () => ({ revision: 'bench', reader: { list: async () => [], read: async () => new Uint8Array() } }) };
// Connected as an agent in its cluster connects (`--in-cluster`): no kubeconfig file parsed.
const client = new KubeClient({ kubeConfig: kubeConfigFrom(JSON.parse(kubeConfigJson!)) });
const inventory = new InventoryStore(client, { namespace: 'netfleet-system', cluster: 'bench' });
const reconcilerWith = (memo: InstanceType<typeof AppliedMemo>): ReconcilerType => new Reconciler({
  cluster: 'bench', namespace: 'netfleet-system', client, source, render: async () => result, inventory, memo, logger, options: defaultReconcileOptions(),
});
const memo = new AppliedMemo();
const reconciler = reconcilerWith(memo);
const events = new AgentEvents();
const detector = new DriftDetector(client, memo, events, logger, defaultDriftOptions({ resyncIntervalMs: 3_600_000 }));
detector.start();

// The hub connection of a deployed agent, against the parent's stand-in hub: the daemon's
// events reported through the reporter, the assignment followed by long polls.
const hubDir = mkdtempSync(join(tmpdir(), 'netfleet-bench-agent-'));
const credentialsFile = join(hubDir, 'credentials.json');
writeFileSync(credentialsFile, JSON.stringify({
  cluster: 'bench', reportKey: 'a'.repeat(64), apiToken: 'bench-api-token-0123456789', keyGeneration: 1, protocolVersion: PROTOCOL_VERSION, queue: 'reports', prefix: 'bench',
}), { mode: 0o600 });
const hub = await connectToHub(events, { hubUrl: hubUrl!, credentialsFile, spoolDir: hubDir, agentVersion: 'bench', logger });
const assignments = new AssignmentClient({ assign: () => undefined }, { hubUrl: hubUrl!, credentialsFile, stateFile: join(hubDir, 'assignment.json'), logger });
await assignments.start();
if (!await assignments.settled(10_000)) throw new Error('the stand-in hub did not answer the assignment request');

const timed = async <T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> => {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
};
const sync = (with_: ReconcilerType) => detector.exclusive(() => with_.reconcile(), () => with_.desired?.objects);

const first = await timed(() => sync(reconciler));
if (first.value.errorClass) throw new Error(`first sync failed: ${first.value.message}`);
// Let the watchers finish their first lists, so they are not counted in the next phase.
while (!detector.synced) await new Promise((resolve) => setTimeout(resolve, 10));
await detector.idle();
await report('first-sync', { ms: first.ms, objects: objects.length });

const warm = await timed(() => sync(reconciler));
await report('warm-noop-sync', { ms: warm.ms, reason: warm.value.reason });

const resync = await timed(async () => {
  await detector.resync();
  await detector.idle();
});
await report('drift-resync', { ms: resync.ms, drift: detector.items.length });

const cold = await timed(() => sync(reconcilerWith(new AppliedMemo())));
await report('cold-noop-sync', { ms: cold.ms, reason: cold.value.reason });

const other = new KubeClient({ kubeConfig: kubeConfigFrom(JSON.parse(kubeConfigJson!)), fieldManager: 'kubectl' });

/** Resolves when the detector has corrected the object with this id. */
const correctionOf = (id: string) => new Promise<number>((resolve) => {
  const listener = (item: { id: string }) => {
    if (item.id !== id) return;
    events.off('drift-corrected', listener);
    resolve(performance.now());
  };
  events.on('drift-corrected', listener);
});

// Status churn: the parent, as the istio controller, writes the status of each
// IstioFederation once (what controllers do all day); the drift checks should skip those
// events instead of a dry run each. A spec drift on the same kind after them is corrected
// after every status event was delivered (one ordered watch stream per kind); its own
// check is the one dry run expected.
const federations = objects.filter((object) => object.object.kind === 'IstioFederation');
await report('status-churn-start', { names: federations.map((object) => object.object.metadata.name) });
const marker = federations[0]!;
const markerCorrected = correctionOf(marker.id);
await other.apply({ ...marker.object, metadata: { name: marker.object.metadata.name }, spec: { ...(marker.object.spec as object), trustDomain: 'churn-marker.cluster' } }, { force: true });
await markerCorrected;
await detector.idle();
await report('status-churn', {});

// Drift latency: another manager changes one NetworkPolicy port at a time; measured from
// the write's answer to the correction (drift-corrected), and to a plain watch's event.
const policies = objects.filter((object) => object.object.kind === 'NetworkPolicy');
const latencies: number[] = [];
for (let i = 0; i < 50; i++) {
  const target = policies[(i * 37) % policies.length]!;
  const corrected = correctionOf(target.id);
  const spec = structuredClone(target.object.spec) as { ingress: { ports: { port: number }[] }[] };
  spec.ingress[0]!.ports[0]!.port = 30_000 + i;
  await other.apply({ ...target.object, metadata: { name: target.object.metadata.name, namespace: target.object.metadata.namespace }, spec }, { force: true });
  const written = performance.now();
  latencies.push((await corrected) - written);
}
await detector.idle();
await report('drift-latency', {
  latencies, rssMb: process.memoryUsage().rss / 2 ** 20, maxRssMb: peakRssMb(), runtimeRssMb, loadedRssMb, heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  heapCommittedMb: getHeapStatistics().total_physical_size / 2 ** 20, ...rssParts(),
});
// BENCH_AGENT_HEAP_SNAPSHOT=<file>: what the heap holds once the measured phases are over.
if (process.env.BENCH_AGENT_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_AGENT_HEAP_SNAPSHOT);
detector.stop();
await assignments.close();
await hub.close();
process.exit(0);
