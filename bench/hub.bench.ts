/**
 * `pnpm bench:hub`: hub benchmarks on the machine's Redis (127.0.0.1:6379 or
 * NETFLEET_REDIS_URL), each against a baseline measured in the same run.
 *
 * 1. Ingest throughput: raw BullMQ add+process of empty jobs (the baseline) vs the hub
 *    ingesting realistic signed reports the way agents send them: posted to the hub API
 *    over HTTP with each cluster's token (the agent's own ReportSender), queued by the API
 *    (the requests of one commit window in one job), verified, validated and applied by the
 *    ingest worker (one ingest script call per request, sent together); prints both rates and their ratio (goals >= 0.5, issue
 *    12, and >= 0.8, issue 17), and, to tell the HTTP intake's share from the worker's, the
 *    same reports put on the queue directly as the API would. Beside each rate: this
 *    process's CPU time per job or report (hub, BullMQ and the senders; not Redis), which
 *    depends less than the rates on what else the machine runs (a crowded machine still
 *    inflates it). Figures and what changed: docs/hub.md, "Ingest throughput".
 * 2. Fleet load: 10,000 simulated clusters heartbeating every 30 s for one minute (about
 *    333 reports/s), each heartbeat its own HTTP request as an agent in steady state sends
 *    it, against a hub replica in its own process: its CPU share, ingest lag, and API
 *    p50/p99 for the cluster list and detail (target p99 < 100 ms); and, from 10 s of the
 *    same API reads without heartbeats measured first, the replica's CPU per heartbeat
 *    request, which says how many heartbeats one core takes.
 *
 * Options (env): BENCH_HUB_JOBS (default 10000 per round), BENCH_HUB_CLUSTERS (10000),
 * BENCH_HUB_SECONDS (60), BENCH_HUB_PARTS (`ingest,fleet`), BENCH_HUB_BATCH (reports per
 * request in the ingest part, 10: an agent sends what its spool holds, up to 100),
 * BENCH_HUB_CPU_PROF (a directory: the fleet part's hub replica writes a V8 CPU profile there).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { Queue, Worker } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import {
  Action, PROTOCOL_VERSION, REPORT_QUEUE, ReportKind, SyncReason, SyncStatus, createLogger, signReport,
  type Credentials, type DriftItem, type Report, type UnsignedReport,
} from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { reportJob } from '../hub/src/ingest/report-job.js';
import { ReportSender } from '../agent/src/report/report-sender.js';
import { deleteKeysWithPrefix } from '../test/src/redis.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.BENCH_HUB_JOBS ?? 10_000);
const CLUSTERS = Number(process.env.BENCH_HUB_CLUSTERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_HUB_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.BENCH_HUB_CONCURRENCY ?? 16);
const BATCH = Number(process.env.BENCH_HUB_BATCH ?? 10);
/** Seconds the fleet part measures the replica with API reads and no heartbeats, before sending them. */
const IDLE_SECONDS = 10;
/** Requests in flight at once, like that many agents sending at the same moment. */
const SENDERS = 16;
const SECRET = `bench-secret-${randomBytes(16).toString('hex')}`;
const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`;
const REGIONS = ['eu', 'us', 'ap', 'sa', 'af'];
const logger = createLogger({ name: 'bench', level: 'warn' });
// BullMQ under native ESM needs a client instance, not connection options.
const bullRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const connection = bullRedis;

const newPrefix = (label: string) => `{nf-bench-${label}-${randomBytes(4).toString('hex')}}`;

const dropKeys = (prefix: string) => deleteKeysWithPrefix(REDIS_URL, prefix);

async function registerFleet(hub: Hub, count: number): Promise<Credentials[]> {
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 3600, maxUses: count });
  const fleet: Credentials[] = [];
  for (let start = 0; start < count; start += 200) {
    const batch = Array.from({ length: Math.min(200, count - start) }, (_, offset) => start + offset);
    fleet.push(...await Promise.all(batch.map((index) => hub.registry.register(bootstrap.token, {
      cluster: `c-${String(index).padStart(5, '0')}`, region: REGIONS[index % REGIONS.length]!,
      labels: { tier: index % 3 === 0 ? 'prod' : 'dev', team: `t${index % 7}` },
    }))));
  }
  return fleet;
}

/**
 * A realistic mix: of every 20 reports 16 heartbeats, 3 sync results with changes and 1
 * drift report. `turn` picks the kind; it must vary per cluster and per seq (a round has
 * fewer than 20 seqs per cluster), so each cluster cycles through the kinds.
 */
function realisticReport(cluster: string, seq: number, turn: number): UnsignedReport {
  const base = { protocolVersion: PROTOCOL_VERSION as typeof PROTOCOL_VERSION, cluster, seq, time: new Date().toISOString() };
  const roll = turn % 20;
  if (roll < 16) {
    return { ...base, kind: ReportKind.Heartbeat, body: { revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', objects: 42, driftCount: 0, agentVersion: '0.1.0', readiness: { ready: 40, notReady: 1, waiting: 1 } } };
  }
  if (roll < 19) {
    const changes = Array.from({ length: 20 }, (_, index) => ({
      subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `ingress-${index}` },
      action: index % 5 === 0 ? Action.Configured : Action.Unchanged,
    }));
    return { ...base, kind: ReportKind.Sync, body: { revision: `rev-${seq}`, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded, changes } };
  }
  const items: DriftItem[] = Array.from({ length: 3 }, (_, index) => ({
    id: `deckhouse.io_IngressNginxController__ingress-${index}`,
    subject: { group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `ingress-${index}` },
    type: 'changed', policy: 'alert', fields: [{ path: '/spec/minReplicas', desired: 2, live: 3 }, { path: '/spec/inlet', desired: 'LoadBalancer', live: 'HostPort' }],
  }));
  return { ...base, kind: ReportKind.Drift, body: { revision: `rev-${seq}`, items } };
}

/** The share of each kind among the reports actually sent, e.g. `80% heartbeat, 15% sync, 5% drift`. */
function kindMix(reports: Report[]): string {
  const counts = new Map<string, number>();
  for (const report of reports) counts.set(report.kind, (counts.get(report.kind) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([kind, count]) => `${Math.round((count / reports.length) * 100)}% ${kind}`).join(', ');
}

/** Posts report batches to a hub API over kept-alive lanes (`SENDERS` unless told), as that many agents would. */
class AgentTraffic {
  private readonly lanes: ReportSender[];

  constructor(hubUrl: string, lanes = SENDERS) {
    this.lanes = Array.from({ length: lanes }, () => new ReportSender({ hubUrl, timeoutMs: 30_000 }));
  }

  /** Sends every batch (each one cluster's reports, with its token); throws unless all were queued. */
  send(batches: Array<{ token: string; reports: Report[] }>): Promise<void> {
    return this.sendBodies(batches.map((batch) => ({
      token: batch.token, count: batch.reports.length, body: `{"reports":[${batch.reports.map((report) => JSON.stringify(report)).join(',')}]}`,
    })));
  }

  /** Sends request bodies as they are (`count` reports each); throws unless all were queued. */
  async sendBodies(requests: ReadonlyArray<{ token: string; body: string; count: number }>): Promise<void> {
    let next = 0;
    await Promise.all(this.lanes.map(async (lane) => {
      for (let request = requests[next++]; request; request = requests[next++]) {
        const outcome = await lane.send(request.body, request.token);
        if (outcome.kind !== 'accepted' || outcome.queued !== request.count) throw new Error(`reports not queued: ${JSON.stringify(outcome)}`);
      }
    }));
  }

  close(): void {
    for (const lane of this.lanes) lane.close();
  }
}

/** Groups reports into requests of up to `size` reports of one cluster. */
function requestsOf(reports: Report[], tokens: Map<string, string>, size: number): Array<{ token: string; reports: Report[] }> {
  const byCluster = new Map<string, Report[]>();
  for (const report of reports) byCluster.set(report.cluster, [...(byCluster.get(report.cluster) ?? []), report]);
  const requests: Array<{ token: string; reports: Report[] }> = [];
  for (const [cluster, own] of byCluster) {
    for (let start = 0; start < own.length; start += size) requests.push({ token: tokens.get(cluster)!, reports: own.slice(start, start + size) });
  }
  return requests;
}

/** Throughput, and this process's CPU time per job or report in µs (less swayed by other work on the machine). */
interface Throughput {
  rate: number;
  cpuUs: number;
}

/** Rate and CPU per unit of `run`, from `started` (performance.now()) and `cpu` (process.cpuUsage()). */
function throughput(units: number, started: number, cpu: NodeJS.CpuUsage): Throughput {
  const used = process.cpuUsage(cpu);
  return { rate: units / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / units };
}

async function rawBullmq(jobs: number): Promise<Throughput> {
  const prefix = newPrefix('raw');
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const worker = new Worker('raw', async () => {
    done += 1;
    if (done === jobs) finished();
  }, { connection, prefix, concurrency: CONCURRENCY });
  await worker.waitUntilReady();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let start = 0; start < jobs; start += 500) {
    await queue.addBulk(Array.from({ length: Math.min(500, jobs - start) }, (_, index) => ({
      name: 'empty', data: {}, opts: { jobId: `j.${start + index}`, removeOnComplete: true },
    })));
  }
  await allDone;
  const measured = throughput(jobs, started, cpu);
  await worker.close();
  await queue.close();
  await dropKeys(prefix);
  return measured;
}

/**
 * The hub ingesting `jobs` realistic reports of 1000 clusters, sent `via` the API (as agents
 * do) or put on the queue directly as the API would (the worker alone).
 */
async function hubIngest(jobs: number, via: 'http' | 'queue'): Promise<Throughput & { applied: number; mix: string }> {
  const prefix = newPrefix('ingest');
  const hub = new Hub({ redisUrl: REDIS_URL, prefix, secret: SECRET, logger, sweeper: false, rollouts: false, ingestConcurrency: CONCURRENCY });
  const fleet = await registerFleet(hub, 1000);
  const reports: Report[] = [];
  for (let index = 0; index < jobs; index += 1) {
    const credentials = fleet[index % fleet.length]!;
    const seq = Math.floor(index / fleet.length) + 1;
    reports.push(signReport(realisticReport(credentials.cluster, seq, (index % fleet.length) + seq), credentials.reportKey) as Report);
  }
  const requests = requestsOf(reports, new Map(fleet.map((credentials) => [credentials.cluster, credentials.apiToken])), BATCH);
  const processed = async () => (await hub.metrics.reports.get()).values.reduce((sum, value) => sum + value.value, 0);
  const traffic = new AgentTraffic(await (await hub.api()).listen({ host: '127.0.0.1', port: 0 }));
  const queue = new Queue(REPORT_QUEUE, { connection, prefix });
  await hub.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (via === 'http') {
    await traffic.send(requests);
  } else {
    // Jobs as the API queues these requests when SENDERS of them arrive together.
    const texts = requests.map(({ reports: own }) => ({ sender: own[0]!.cluster, reports: own.map((report) => JSON.stringify(report)) }));
    const queued = Array.from({ length: Math.ceil(texts.length / SENDERS) }, (_, index) => reportJob(texts.slice(index * SENDERS, (index + 1) * SENDERS)));
    for (let start = 0; start < queued.length; start += 50) await queue.addBulk(queued.slice(start, start + 50));
  }
  while ((await processed()) < jobs) await new Promise((resolve) => setTimeout(resolve, 5));
  const measured = throughput(jobs, started, cpu);
  const applied = (await hub.metrics.reports.get()).values.filter((value) => value.labels.result === 'applied').reduce((sum, value) => sum + value.value, 0);
  traffic.close();
  await queue.close();
  await hub.close();
  await dropKeys(prefix);
  return { ...measured, applied, mix: kindMix(reports) };
}

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Other work on the machine skews every figure; print it beside them. */
function machineLoad(): string {
  return `machine load average     ${loadavg().map((value) => value.toFixed(1)).join(' ')} (1/5/15 min) on ${cpus().length} cores`;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function fleetLoad(): Promise<void> {
  const prefix = newPrefix('fleet');
  const registrar = new Hub({ redisUrl: REDIS_URL, prefix, secret: SECRET, logger, ingest: false, sweeper: false });
  const fleet = await registerFleet(registrar, CLUSTERS);
  await registrar.close();

  const profile = process.env.BENCH_HUB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_HUB_CPU_PROF] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', new URL('./hub-replica.ts', import.meta.url).pathname, REDIS_URL, prefix, SECRET, ADMIN], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
    });
    child.once('exit', (code) => reject(new Error(`hub replica exited with ${code}`)));
  });

  const queue = new Queue(REPORT_QUEUE, { connection, prefix });
  const perSecond = CLUSTERS / 30;
  // Agents send independently: enough lanes that each carries at most 20 requests a second,
  // so the offered rate does not hang on the hub's answer time (its commit window included).
  const lanes = Math.max(SENDERS, Math.ceil(perSecond / 20));
  const traffic = new AgentTraffic(url, lanes);
  // Each cluster's heartbeats in the order they are due (the time in them is the hub's business: it stamps its own).
  const heartbeats = Array.from({ length: Math.round(perSecond * SECONDS) }, (_, index) => {
    const credentials = fleet[index % fleet.length]!;
    const heartbeat = signReport({
      protocolVersion: PROTOCOL_VERSION, cluster: credentials.cluster, seq: Math.floor(index / fleet.length) + 1, time: new Date().toISOString(), kind: ReportKind.Heartbeat,
      body: { revision: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', objects: 42, driftCount: 0, agentVersion: '0.1.0', readiness: { ready: 42, notReady: 0, waiting: 0 } },
    }, credentials.reportKey);
    return { token: credentials.apiToken, body: `{"reports":[${JSON.stringify(heartbeat)}]}`, count: 1 };
  });
  const tickMs = 100;
  const total = heartbeats.length;
  let sent = 0;
  const listLatencies: number[] = [];
  const detailLatencies: number[] = [];
  const listServer: number[] = [];
  const detailServer: number[] = [];
  const headers = { authorization: `Bearer ${ADMIN}` };
  const timed = async (path: string, into: number[], server: number[] = []) => {
    const started = performance.now();
    const response = await fetch(`${url}${path}`, { headers });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    into.push(performance.now() - started);
    server.push(Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? Number.NaN));
  };

  // Warm up the API (route compilation, JIT) before measuring.
  for (let index = 0; index < 30; index += 1) {
    await timed('/api/v1/clusters?limit=100', []);
    await timed(`/api/v1/clusters/${fleet[index]!.cluster}`, []);
  }
  let apiRunning = true;
  const readApi = async (into: { list: number[]; detail: number[]; listServer: number[]; detailServer: number[] }) => {
    let index = 0;
    while (apiRunning) {
      const name = fleet[(index * 7919) % fleet.length]!.cluster;
      const region = REGIONS[index % REGIONS.length]!;
      await timed(index % 2 === 0 ? `/api/v1/clusters?limit=100&region=${region}` : '/api/v1/clusters?limit=100', into.list, into.listServer);
      await timed(`/api/v1/clusters/${name}`, into.detail, into.detailServer);
      index += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return index;
  };
  // The replica's CPU with the API reads alone (and its periodic work), to tell a heartbeat's cost from theirs.
  const idleCpuBefore = cpuSeconds(child.pid!);
  const idleStarted = performance.now();
  const idleReads = await (async () => {
    const reading = readApi({ list: [], detail: [], listServer: [], detailServer: [] });
    await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
    apiRunning = false;
    return reading;
  })();
  const idleCpu = cpuSeconds(child.pid!) - idleCpuBefore;
  const idleWall = (performance.now() - idleStarted) / 1000;
  apiRunning = true;
  const cpuBefore = cpuSeconds(child.pid!);
  const started = performance.now();
  const apiLoad = readApi({ list: listLatencies, detail: detailLatencies, listServer, detailServer });
  // Heartbeats spread evenly: every tick sends the clusters whose turn it is, one request per
  // heartbeat, as agents in steady state send them (signed before, so this process keeps up).
  while (sent < total) {
    const due = Math.min(total, Math.round(((performance.now() - started) / 1000) * perSecond));
    if (due > sent) await traffic.sendBodies(heartbeats.slice(sent, due));
    sent = due;
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  const sendSeconds = (performance.now() - started) / 1000;
  const redis = new Redis(REDIS_URL);
  const waitingAtEnd = await queue.getWaitingCount();
  // Ingest lag: how long after the last send until the queue is drained.
  const drainStarted = performance.now();
  while ((await queue.getWaitingCount()) + (await queue.getActiveCount()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  const drainMs = performance.now() - drainStarted;
  const cpu = cpuSeconds(child.pid!) - cpuBefore;
  const wall = (performance.now() - started) / 1000;
  apiRunning = false;
  const reads = await apiLoad;
  let reports = 0;
  const pipeline = redis.pipeline();
  for (const credentials of fleet) pipeline.hget(`${prefix}:cluster:${credentials.cluster}`, 'reports');
  for (const [, value] of (await pipeline.exec()) ?? []) reports += Number(value ?? 0);

  if (process.env.BENCH_HUB_DEBUG) console.log('slowest list', [...listLatencies].sort((a, b) => b - a).slice(0, 5), 'slowest detail', [...detailLatencies].sort((a, b) => b - a).slice(0, 5));
  console.log(`clusters                 ${CLUSTERS} (${REGIONS.length} regions), heartbeat every 30 s`);
  console.log(`heartbeats sent          ${sent} in ${sendSeconds.toFixed(1)} s (${(sent / sendSeconds).toFixed(0)}/s, one per request, over ${lanes} connections)`);
  console.log(`heartbeats applied       ${reports} (waiting at end of sending: ${waitingAtEnd}, drained ${drainMs.toFixed(0)} ms later)`);
  console.log(`hub replica CPU          ${cpu.toFixed(1)} s over ${wall.toFixed(1)} s = ${((cpu / wall) * 100).toFixed(1)}% of one core (machine: 2 cores)`);
  // What the heartbeats cost beyond the same API reads and periodic work measured alone (per read pair and per second).
  const idleCpuPerRead = idleCpu / Math.max(1, idleReads);
  const heartbeatCpu = cpu - idleCpuPerRead * reads;
  console.log(`  without heartbeats     ${((idleCpu / idleWall) * 100).toFixed(1)}% of one core (${IDLE_SECONDS} s of the same API reads: ${(idleCpuPerRead * 1000).toFixed(1)} ms CPU per list+detail)`);
  console.log(`  per heartbeat request  ${((heartbeatCpu / sent) * 1e6).toFixed(0)} µs CPU (the rest, ${heartbeatCpu.toFixed(1)} s, over ${sent}): one core takes ${(sent / heartbeatCpu).toFixed(0)} heartbeats/s`);
  const latencyLine = (name: string, client: number[], server: number[]) => console.log(
    `${name} p50 ${percentile(client, 50).toFixed(1)} ms  p99 ${percentile(client, 99).toFixed(1)} ms  (${client.length} requests; in the hub: p50 ${percentile(server, 50).toFixed(1)} ms, p99 ${percentile(server, 99).toFixed(1)} ms)  target p99 < 100 ms: ${percentile(client, 99) < 100 ? 'met' : 'NOT met'}`);
  latencyLine('API list  (100/page)    ', listLatencies, listServer);
  latencyLine('API detail              ', detailLatencies, detailServer);
  console.log(machineLoad());

  redis.disconnect();
  traffic.close();
  await queue.close();
  child.stdin!.end();
  await new Promise((resolve) => child.once('exit', resolve));
  await dropKeys(prefix);
}

const PARTS = (process.env.BENCH_HUB_PARTS ?? 'ingest,fleet').split(',');
const ROUNDS = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (PARTS.includes('ingest')) {
  console.log(`\n== ingest throughput: raw BullMQ vs hub ingest over HTTP (${JOBS} jobs, ${BATCH} reports per request over ${SENDERS} connections, worker concurrency ${CONCURRENCY}, same Redis, median of ${ROUNDS} interleaved rounds) ==`);
  const raw: Throughput[] = [];
  const hub: Throughput[] = [];
  const queued: Throughput[] = [];
  let applied = 0;
  let mix = '';
  const figures = (measured: Throughput, unit: string) => `${measured.rate.toFixed(0)} ${unit}/s (${measured.cpuUs.toFixed(0)} µs CPU each)`;
  for (let round = 0; round < ROUNDS; round += 1) {
    raw.push(await rawBullmq(JOBS));
    const ingest = await hubIngest(JOBS, 'http');
    queued.push(await hubIngest(JOBS, 'queue'));
    hub.push(ingest);
    applied += ingest.applied;
    mix = ingest.mix;
    console.log(`round ${round + 1}: raw ${figures(raw[round]!, 'jobs')}, hub ${figures(ingest, 'reports')}, queued directly ${figures(queued[round]!, 'reports')}`);
  }
  const rate = (all: Throughput[]) => median(all.map((measured) => measured.rate));
  const cpu = (all: Throughput[]) => median(all.map((measured) => measured.cpuUs));
  const ratio = rate(hub) / rate(raw);
  const verdict = (goal: number) => `${goal}: ${ratio >= goal ? 'met' : `NOT met (${((1 - ratio / goal) * 100).toFixed(0)}% short)`}`;
  console.log(`raw BullMQ add+process (empty jobs)      ${rate(raw).toFixed(0)} jobs/s`);
  console.log(`hub ingest (HTTP -> queue -> worker; signed reports: ${mix})  ${rate(hub).toFixed(0)} reports/s (${applied} of ${ROUNDS * JOBS} applied)`);
  console.log(`the same reports queued directly (worker alone, no HTTP)  ${rate(queued).toFixed(0)} reports/s`);
  // The CPU this process spends per unit depends less than the rates on what else the machine runs.
  console.log(`CPU of this process (hub, BullMQ and the senders; Redis not included): raw ${cpu(raw).toFixed(0)} µs/job, hub ${cpu(hub).toFixed(0)} µs/report, queued directly ${cpu(queued).toFixed(0)} µs/report`);
  console.log(`ratio                                    ${ratio.toFixed(2)}  goal >= ${verdict(0.5)}; >= ${verdict(0.8)}`);
  console.log(machineLoad());
}

if (PARTS.includes('fleet')) {
  console.log(`\n== fleet load: ${CLUSTERS} clusters for ${SECONDS} s against one hub replica process ==`);
  await fleetLoad();
}
bullRedis.disconnect();
