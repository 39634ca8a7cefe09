/**
 * Apply and drift benchmark: an agent process managing N objects of 6 kinds on the API
 * test server (in this process, so every request the agent makes is in its audit log).
 * Figures: no-op resync time and requests (warm, against a cold restart's sync as the
 * baseline), the same at half the objects to show requests grow with kinds, the drift
 * dry runs 50 status-only updates cost, drift detection latency over 50 injected drifts, and the agent's RSS, bundled as production runs
 * it and through tsx as a checkout does. `runAgentLargeBench` runs the bundled agent on 5,000
 * objects against 500 in the same run.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { KubeClient } from '../agent/src/kube/client.js';
import { DEFAULT_ADMIN_TOKEN, startKubeApiServer } from '../test/src/kube/server.js';
import { childCommands, type ChildCommand } from './agent-bundle.js';
import { kubeConfigOptions } from '../test/src/kube/config-options.js';

const CHILD = fileURLToPath(new URL('./agent-apply-child.ts', import.meta.url));

interface PhaseReport {
  phase: string;
  ms?: number;
  latencies?: number[];
  rssMb?: number;
  maxRssMb?: number;
  runtimeRssMb?: number;
  loadedRssMb?: number;
  heapMb?: number;
  /** V8 heap pages in memory, live objects and garbage alike. */
  heapCommittedMb?: number;
  fileRssMb?: number;
  anonymousRssMb?: number;
  objects?: number;
  /** The IstioFederations whose status the parent writes. */
  names?: string[];
}

/**
 * A controller's status writes (merge patches on the status subresource), one per object,
 * between the `status-churn-start` and `status-churn` phases.
 */
async function churnStatus(url: string, names: string[]): Promise<void> {
  for (const [i, name] of names.entries()) {
    const response = await fetch(`${url}/apis/deckhouse.io/v1alpha1/istiofederations/${name}/status`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/merge-patch+json' },
      // What the istio module's controller writes when it fetches a peer's public metadata.
      body: JSON.stringify({ status: { metadataCache: { publicLastFetchTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() } } }),
    });
    if (!response.ok) throw new Error(`status write failed: ${response.status} ${await response.text()}`);
  }
}

/** What the stand-in hub received from the agent. */
interface HubCounts {
  reportPosts: number;
  assignmentRequests: number;
}

/**
 * A stand-in for the hub's agent API on loopback, so the agent's hub connection (report
 * posts, assignment long polls) runs and counts in its memory as it does when deployed:
 * reports are accepted, the first assignment request is answered (no assignment yet) and
 * later ones are held as a waiting hub holds them, for a second, then answered unchanged.
 */
async function startStandInHub(): Promise<{ url: string; counts: HubCounts; server: Server }> {
  const counts: HubCounts = { reportPosts: 0, assignmentRequests: 0 };
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/api/v1/reports') {
        counts.reportPosts += 1;
        response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ queued: 1, refused: [] }));
      } else if (request.method === 'GET' && request.url?.startsWith('/api/v1/assignment')) {
        counts.assignmentRequests += 1;
        if (counts.assignmentRequests === 1) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ assignment: null }));
        else setTimeout(() => response.writeHead(304).end(), 1000);
      } else {
        response.writeHead(404).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, counts, server };
}

export interface RunFigures {
  objects: number;
  hub: HubCounts;
  phases: Map<string, PhaseReport & { requests: number; byVerb: Record<string, number> }>;
}

export async function runAgent(objects: number, command: ChildCommand): Promise<RunFigures> {
  const kube = await startKubeApiServer();
  const hub = await startStandInHub();
  try {
    await kube.installDkpCrds((file) => file.startsWith('deckhouse-controller/') || file.startsWith('ingress-nginx/') || file.startsWith('istio/istiofederation') || file === 'cni-cilium/cilium/ciliumnetworkpolicies.yaml');
    await new KubeClient({ kubeConfig: kube.kubeConfig() }).apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-system' } }, { force: false });
    kube.audit.clear();
    const child = fork(command.file, [JSON.stringify(kubeConfigOptions(kube.kubeConfig())), String(objects), hub.url], { execArgv: command.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const phases: RunFigures['phases'] = new Map();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.on('message', (message: PhaseReport) => {
      const entries = kube.audit.filter((entry) => entry.user !== '' && entry.verb !== 'watch');
      const byVerb: Record<string, number> = {};
      for (const entry of entries) {
        const key = entry.dryRun ? `${entry.verb} (dry run)` : entry.verb;
        byVerb[key] = (byVerb[key] ?? 0) + 1;
      }
      phases.set(message.phase, { ...message, requests: entries.length, byVerb });
      kube.audit.clear();
      const next = message.phase === 'status-churn-start' ? churnStatus(kube.url, message.names ?? []) : Promise.resolve();
      next.then(() => child.send('continue'), (error: unknown) => {
        console.error(error);
        child.kill();
      });
    });
    const code = await exited;
    if (code !== 0) throw new Error(`agent process exited with ${code}`);
    return { objects, hub: hub.counts, phases };
  } finally {
    hub.server.closeAllConnections();
    hub.server.close();
    await kube.stop();
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number) => Math.round(value * 10) / 10;
const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
/** `ok`, or by how much a figure is above its target. */
const missedBy = (value: number, target: number, unit: string) => (value <= target ? 'ok' : `MISSED by ${round(value - target)} ${unit}`);

/** Peak RSS goals of the agent, bundled as deployed (issue 17). */
const RSS_TARGET_MB = 64;
const LARGE_RSS_TARGET_MB = 128;
const LARGE_OBJECTS = 5_000;
/** The kinds the synthetic objects have, and the page size of the agent's lists (`KubeClient.list`). */
const KINDS = 6;
const LIST_PAGE = 500;

/** Runs the apply/drift benchmark, prints its figures and returns them. */
export async function runAgentApplyBench(): Promise<{ full: RunFigures; half: RunFigures; bundled: RunFigures }> {
  const commands = await childCommands(CHILD);
  const half = await runAgent(250, commands.tsx);
  const full = await runAgent(500, commands.tsx);
  // The same agent as production runs it: bundled, on plain node.
  const bundled = await runAgent(500, commands.bundle);
  const phase = (run: RunFigures, name: string) => run.phases.get(name)!;
  console.log(`agent process managing ${full.objects} objects of 6 kinds (and ${half.objects} for comparison)`);
  console.table(Object.fromEntries(['first-sync', 'warm-noop-sync', 'drift-resync', 'cold-noop-sync'].map((name) => [name, {
    [`ms (${full.objects})`]: round(phase(full, name).ms!),
    [`requests (${full.objects})`]: phase(full, name).requests,
    [`requests (${half.objects})`]: phase(half, name).requests,
  }])));
  const warm = phase(full, 'warm-noop-sync');
  const resync = phase(full, 'drift-resync');
  const cold = phase(full, 'cold-noop-sync');
  console.log(`warm no-op sync by verb: ${JSON.stringify(warm.byVerb)}; cold restart sync by verb: ${JSON.stringify(cold.byVerb)}`);
  console.log(`no-op resync ${round(warm.ms!)} ms (target <= 1000 ms): ${check(warm.ms! <= 1000)}; full drift resync ${round(resync.ms!)} ms: ${check(resync.ms! <= 1000)}`);
  console.log(`  baseline, same run: a restarted agent's first no-op sync (one dry run per object) ${round(cold.ms!)} ms, ${cold.requests} requests`);
  const sameCount = warm.requests === phase(half, 'warm-noop-sync').requests && resync.requests === phase(half, 'drift-resync').requests;
  console.log(`no-op requests: ${warm.requests} (sync) and ${resync.requests} (resync) at ${full.objects} objects vs ${phase(half, 'warm-noop-sync').requests} and ${phase(half, 'drift-resync').requests} at ${half.objects} — grow with kinds, not objects: ${check(sameCount)}`);
  const churn = phase(full, 'status-churn');
  const churnDryRuns = (churn.byVerb['patch (dry run)'] ?? 0) - 1;
  console.log(`status-only events: ${phase(full, 'status-churn-start').names!.length} status writes by a controller cost ${churnDryRuns} drift dry runs (target 0; one spec drift after them checked and corrected): ${check(churnDryRuns === 0)}`);
  const drift = phase(full, 'drift-latency');
  const bundledDrift = phase(bundled, 'drift-latency');
  const latencies = drift.latencies!;
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  console.log(`drift detection and correction latency over ${latencies.length} drifts: p50 ${round(p50)} ms, p95 ${round(p95)} ms (target p50 < 2000 ms): ${check(p50 < 2000)}`);
  console.log(`agent RSS with ${full.objects} managed objects, bundled as deployed (\`netfleet agent\`'s modules, node ${commands.bundle.execArgv.join(' ') || 'without flags'}): ${round(bundledDrift.rssMb!)} MB now, `
    + `${round(bundledDrift.maxRssMb!)} MB peak (target <= ${RSS_TARGET_MB} MB): ${missedBy(bundledDrift.maxRssMb!, RSS_TARGET_MB, 'MB')}`);
  console.log(`  the agent's hub connection ran meanwhile, against a stand-in hub on loopback: ${bundled.hub.reportPosts} report posts, ${bundled.hub.assignmentRequests} assignment requests`);
  console.log(`  baseline, same run: through tsx (cli/bin/netfleet.js) ${round(drift.rssMb!)} MB now, ${round(drift.maxRssMb!)} MB peak; `
    + `the bundle saves ${round(drift.maxRssMb! - bundledDrift.maxRssMb!)} MB of peak`);
  if (bundledDrift.fileRssMb !== undefined) {
    console.log(`  bundled, what the RSS is: ${round(bundledDrift.fileRssMb)} MB mapped from files (the node binary's code and data, shared by every node process), `
      + `${round(bundledDrift.anonymousRssMb!)} MB anonymous: the V8 heap ${round(bundledDrift.heapCommittedMb!)} MB (${round(bundledDrift.heapMb!)} MB of it in use, live or not yet collected), `
      + `${round(bundledDrift.anonymousRssMb! - bundledDrift.heapCommittedMb!)} MB malloc and other native memory`);
  }
  const bundledLatencies = bundledDrift.latencies!;
  console.log(`  bundled, the cost of its node flags: first sync ${round(phase(bundled, 'first-sync').ms!)} ms, warm no-op sync ${round(phase(bundled, 'warm-noop-sync').ms!)} ms, `
    + `cold restart sync ${round(phase(bundled, 'cold-noop-sync').ms!)} ms, drift p50 ${round(percentile(bundledLatencies, 50))} ms, p95 ${round(percentile(bundledLatencies, 95))} ms `
    + `(through tsx, without them: ${round(phase(full, 'first-sync').ms!)}, ${round(warm.ms!)}, ${round(cold.ms!)}, ${round(p50)} and ${round(p95)} ms)`);
  for (const [runtime, figures] of [['bundled', bundledDrift], ['through tsx', drift]] as const) {
    console.log(`  ${runtime}: runtime (node${runtime === 'bundled' ? '' : ' + tsx'}, before any netfleet module) ${round(figures.runtimeRssMb!)} MB, `
      + `modules loaded ${round(figures.loadedRssMb! - figures.runtimeRssMb!)} MB, managing ${full.objects} objects (watch caches, memo, drift) `
      + `${round(figures.rssMb! - figures.loadedRssMb!)} MB; JS heap in use ${round(figures.heapMb!)} MB`);
  }
  return { full, half, bundled };
}

/**
 * The agent on a large cluster: 5,000 managed objects, bundled as deployed, against the
 * 500-object run of the same process as the baseline.
 */
export async function runAgentLargeBench(): Promise<RunFigures> {
  const commands = await childCommands(CHILD);
  const base = await runAgent(500, commands.bundle);
  const large = await runAgent(LARGE_OBJECTS, commands.bundle);
  const phase = (run: RunFigures, name: string) => run.phases.get(name)!;
  console.log(`agent process managing ${large.objects} objects of 6 kinds, bundled as deployed (node ${commands.bundle.execArgv.join(' ') || 'without flags'}); baseline, same run: ${base.objects} objects`);
  console.table(Object.fromEntries(['first-sync', 'warm-noop-sync', 'drift-resync', 'cold-noop-sync'].map((name) => [name, {
    [`ms (${large.objects})`]: round(phase(large, name).ms!),
    [`requests (${large.objects})`]: phase(large, name).requests,
    [`ms (${base.objects})`]: round(phase(base, name).ms!),
    [`requests (${base.objects})`]: phase(base, name).requests,
  }])));
  const first = phase(large, 'first-sync');
  console.log(`first sync of ${large.objects} objects: ${round(first.ms! / 1000)} s, ${first.requests} requests (${round(first.ms! / large.objects)} ms per object; ${base.objects} objects: ${round(phase(base, 'first-sync').ms! / base.objects)} ms per object)`);
  const warm = phase(large, 'warm-noop-sync');
  const baseWarm = phase(base, 'warm-noop-sync');
  // Lists come in pages of LIST_PAGE objects, as kube-apiserver's clients page them: a kind
  // of N objects costs ceil(N / LIST_PAGE) lists, and no object costs a request of its own.
  const perObjectVerbs = Object.keys(warm.byVerb).filter((verb) => verb !== 'list' && verb !== 'get');
  const pagesAllowed = KINDS + Math.ceil(large.objects / LIST_PAGE);
  console.log(`warm no-op sync: ${round(warm.ms!)} ms (${base.objects} objects: ${round(baseWarm.ms!)} ms); ${warm.requests} requests ${JSON.stringify(warm.byVerb)} at ${large.objects} objects vs ${baseWarm.requests} at ${base.objects}: `
    + `one list per kind and ${LIST_PAGE}-object page (at most ${pagesAllowed} for ${KINDS} kinds), none per object: ${check(perObjectVerbs.length === 0 && (warm.byVerb.list ?? 0) <= pagesAllowed)}`);
  const latencies = phase(large, 'drift-latency').latencies!;
  const p50 = percentile(latencies, 50);
  console.log(`drift detection and correction latency over ${latencies.length} drifts: p50 ${round(p50)} ms, p95 ${round(percentile(latencies, 95))} ms (target p50 < 2000 ms): ${missedBy(p50, 2000, 'ms')}; `
    + `${base.objects} objects: p50 ${round(percentile(phase(base, 'drift-latency').latencies!, 50))} ms`);
  const rss = phase(large, 'drift-latency');
  console.log(`agent RSS with ${large.objects} managed objects: ${round(rss.rssMb!)} MB now, ${round(rss.maxRssMb!)} MB peak (target <= ${LARGE_RSS_TARGET_MB} MB): ${missedBy(rss.maxRssMb!, LARGE_RSS_TARGET_MB, 'MB')}; `
    + `${base.objects} objects: ${round(phase(base, 'drift-latency').maxRssMb!)} MB peak; JS heap in use ${round(rss.heapMb!)} MB`);
  return large;
}
