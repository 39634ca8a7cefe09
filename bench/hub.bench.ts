/**
 * `pnpm bench:hub`: hub benchmarks on the machine's Redis (127.0.0.1:6379 or
 * NETFLEET_REDIS_URL), each against a baseline measured in the same run.
 *
 * 1. Ingest throughput: raw BullMQ add+process of empty jobs (the baseline) vs the hub
 *    ingesting realistic signed reports the way agents send them: posted to the hub API
 *    over HTTP with each cluster's token (the agent's own ReportSender), queued by the API
 *    (the requests of one commit window in one job), verified, validated and applied by the
 *    ingest worker (one ingest script call per request, sent together); prints both rates and their ratio, the median of the
 *    rounds' own ratios after a warm-up round (goals >= 0.5, issue 12, and >= 0.8, issue 17), and, to tell the HTTP intake's share from the worker's, the
 *    same reports put on the queue directly as the API would. Beside each rate: this
 *    process's CPU time per job or report (hub, BullMQ and the senders; not Redis), which
 *    depends less than the rates on what else the machine runs (a crowded machine still
 *    inflates it). Figures and what changed: docs/hub.md, "Ingest throughput".
 * 2. Fleet load (bench/hub-fleet.ts): BENCH_HUB_CLUSTERS simulated clusters in 5 regions
 *    reporting every 30 s for BENCH_HUB_SECONDS (the real mix, one report per request, from
 *    bounded request loops in their own process) against one hub process and a private
 *    Redis: queue depth over time and its trend, every accepted report applied exactly once,
 *    API p50/p99 for a paged cluster list and a detail (goal p99 < 100 ms), offline
 *    detection of clusters stopped mid-run (goal: within two heartbeats), and the hub's and
 *    Redis's CPU and memory.
 *
 * Options (env): BENCH_HUB_JOBS (default 10000 per round), BENCH_HUB_CLUSTERS (10000),
 * BENCH_HUB_SECONDS (60), BENCH_HUB_PARTS (`ingest,fleet`), BENCH_HUB_BATCH (reports per
 * request in the ingest part, 10: an agent sends what its spool holds, up to 100),
 * BENCH_HUB_LANES (the fleet part's request loops, 64), BENCH_HUB_CPU_PROF (a directory: the fleet
 * part's hub replica writes a V8 CPU profile there), BENCH_HUB_HEAP_PROF (a file: the hub replica's
 * allocations, garbage included, as a sampling heap profile; BENCH_HUB_HEAP_PROF_PROMOTED=1: only those promoted to the old generation), BENCH_HUB_NODE_FLAGS (the hub replica's
 * node flags instead of deploy/hub/hub.yaml's; `''` for none).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Queue, Worker } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import { REPORT_QUEUE, createLogger, signReport, type Report } from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { reportJob } from '../hub/src/ingest/report-job.js';
import { ReportSender } from '../agent/src/report/report-sender.js';
import { deleteKeysWithPrefix } from '../test/src/redis.js';
import { fleetLoad, registerFleet } from './hub-fleet.js';
import { realisticReport } from './report-mix.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.BENCH_HUB_JOBS ?? 10_000);
const CLUSTERS = Number(process.env.BENCH_HUB_CLUSTERS ?? 10_000);
const SECONDS = Number(process.env.BENCH_HUB_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.BENCH_HUB_CONCURRENCY ?? 16);
const BATCH = Number(process.env.BENCH_HUB_BATCH ?? 10);
/** Requests in flight at once, like that many agents sending at the same moment. */
const SENDERS = 16;
const SECRET = `bench-secret-${randomBytes(16).toString('hex')}`;
const logger = createLogger({ name: 'bench', level: 'warn' });
// BullMQ under native ESM needs a client instance, not connection options.
const bullRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const connection = bullRedis;

const newPrefix = (label: string) => `{nf-bench-${label}-${randomBytes(4).toString('hex')}}`;

const dropKeys = (prefix: string) => deleteKeysWithPrefix(REDIS_URL, prefix);

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
  // Request bodies made before timing, as each agent makes its own (its CPU, not the hub's).
  const bodies = requests.map(({ token, reports: own }) => ({ token, count: own.length, body: `{"reports":[${own.map((report) => JSON.stringify(report)).join(',')}]}` }));
  const traffic = new AgentTraffic(await (await hub.api()).listen({ host: '127.0.0.1', port: 0 }));
  const queue = new Queue(REPORT_QUEUE, { connection, prefix });
  await hub.start();
  const cpu = process.cpuUsage();
  const started = performance.now();
  if (via === 'http') {
    await traffic.sendBodies(bodies);
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

/** Other work on the machine skews every figure; print it beside them. */
function machineLoad(): string {
  return `machine load average     ${loadavg().map((value) => value.toFixed(1)).join(' ')} (1/5/15 min) on ${cpus().length} cores`;
}

const PARTS = (process.env.BENCH_HUB_PARTS ?? 'ingest,fleet').split(',');
const ROUNDS = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

if (PARTS.includes('ingest')) {
  console.log(`\n== ingest throughput: raw BullMQ vs hub ingest over HTTP (${JOBS} jobs, ${BATCH} reports per request over ${SENDERS} connections, worker concurrency ${CONCURRENCY}, same Redis, a warm-up round then the median of ${ROUNDS} interleaved rounds) ==`);
  const raw: Throughput[] = [];
  const hub: Throughput[] = [];
  const queued: Throughput[] = [];
  const ratios: number[] = [];
  let applied = 0;
  let mix = '';
  const figures = (measured: Throughput, unit: string) => `${measured.rate.toFixed(0)} ${unit}/s (${measured.cpuUs.toFixed(0)} µs CPU each)`;
  // Round 0 warms up the JIT and the connections of both sides; it is printed, not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    const rawRound = await rawBullmq(JOBS);
    const ingest = await hubIngest(JOBS, 'http');
    const queuedRound = await hubIngest(JOBS, 'queue');
    // Each round's ratio compares rates measured moments apart, under the same load.
    const ratio = ingest.rate / rawRound.rate;
    console.log(`${round === 0 ? 'warm-up (not counted)' : `round ${round}`}: raw ${figures(rawRound, 'jobs')}, hub ${figures(ingest, 'reports')}, queued directly ${figures(queuedRound, 'reports')}, ratio ${ratio.toFixed(2)}`);
    if (round === 0) continue;
    raw.push(rawRound);
    hub.push(ingest);
    queued.push(queuedRound);
    ratios.push(ratio);
    applied += ingest.applied;
    mix = ingest.mix;
  }
  const rate = (all: Throughput[]) => median(all.map((measured) => measured.rate));
  const cpu = (all: Throughput[]) => median(all.map((measured) => measured.cpuUs));
  const ratio = median(ratios);
  const verdict = (goal: number) => `${goal}: ${ratio >= goal ? 'met' : `NOT met (${((1 - ratio / goal) * 100).toFixed(0)}% short)`}`;
  console.log(`raw BullMQ add+process (empty jobs)      ${rate(raw).toFixed(0)} jobs/s`);
  console.log(`hub ingest (HTTP -> queue -> worker; signed reports: ${mix})  ${rate(hub).toFixed(0)} reports/s (${applied} of ${ROUNDS * JOBS} applied)`);
  console.log(`the same reports queued directly (worker alone, no HTTP)  ${rate(queued).toFixed(0)} reports/s`);
  // The CPU this process spends per unit depends less than the rates on what else the machine runs.
  console.log(`CPU of this process (hub, BullMQ and the senders; Redis not included): raw ${cpu(raw).toFixed(0)} µs/job, hub ${cpu(hub).toFixed(0)} µs/report, queued directly ${cpu(queued).toFixed(0)} µs/report`);
  console.log(`ratio (median of the rounds' ratios)     ${ratio.toFixed(2)}  goal >= ${verdict(0.5)}; >= ${verdict(0.8)}`);
  console.log(machineLoad());
}

if (PARTS.includes('fleet')) {
  console.log(`\n== fleet load: ${CLUSTERS} clusters for ${SECONDS} s against one hub process and a Redis of its own ==`);
  await fleetLoad(CLUSTERS, SECONDS);
}
bullRedis.disconnect();
