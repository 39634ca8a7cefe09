/**
 * `bench:hub` part `fleet`: a simulated fleet against one hub process and one Redis of its
 * own (a private `redis-server`, so its CPU and memory are the fleet's alone), on loopback.
 *
 * The clusters (5 regions, labels) report every 30 s from `fleet-agents.ts` (its own
 * process, bounded request loops, the real mix of heartbeats, syncs, drift and link
 * reports), to a hub replica in its own process (`hub-replica.ts`, heartbeat interval 30 s,
 * sweeper on). While they run this process prints every 5 s the report queue's depth, the
 * hub's CPU and RSS, Redis's CPU (INFO cpu, user + sys) and memory, and the agents' progress;
 * measures API latency for a paged cluster list (following the cursor) and a cluster's
 * detail, as a client sees it and as the hub timed it; stops a few clusters mid-run and
 * measures how long the hub takes to mark them offline; and at the end checks that every
 * report the hub accepted (2xx) was applied exactly once (the cluster's applied-report count
 * and highest seq against what its agent was told).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Queue } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import { REPORT_QUEUE, createLogger, type Credentials } from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { AlertRule } from '../hub/src/alerts/rules.js';
import { HubKeys } from '../hub/src/redis/keys.js';
import { startRedis } from '../test/src/redis.js';
import { deployedNodeFlags } from './deployed-container.js';
import { REGIONS, clusterName, regionOf } from './fleet-topology.js';

const HEARTBEAT_MS = 30_000;
const SAMPLE_MS = 5000;
/** Clusters stopped mid-run for the offline detection figure. */
const STOPPED = 5;
const PREFIX = '{netfleet}';
/** How long the queue may take to drain after sending stops before the bench gives up on it. */
const DRAIN_LIMIT_MS = Number(process.env.BENCH_HUB_DRAIN_SECONDS ?? 300) * 1000;

export async function registerFleet(hub: Hub, count: number): Promise<Credentials[]> {
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 3600, maxUses: count });
  const fleet: Credentials[] = [];
  for (let start = 0; start < count; start += 200) {
    const batch = Array.from({ length: Math.min(200, count - start) }, (_, offset) => start + offset);
    fleet.push(...await Promise.all(batch.map((index) => hub.registry.register(bootstrap.token, {
      cluster: clusterName(index), region: regionOf(index),
      labels: { tier: index % 3 === 0 ? 'prod' : 'dev', team: `t${index % 7}` },
    }))));
  }
  return fleet;
}

/**
 * The hub's own runtime figures, from prom-client's default metrics on its /metrics: GC
 * pauses by kind (sum, count, and how many took at most 10 ms), the heap in use, and the
 * event loop's delay since the previous read (prom-client resets it on every read).
 */
interface HubRuntime {
  gc: Map<string, { seconds: number; count: number; within10ms: number }>;
  heapUsed: number;
  loopDelayP99: number;
  loopDelayMax: number;
}

async function hubRuntime(url: string): Promise<HubRuntime> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^netfleet_hub_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const gc = new Map<string, { seconds: number; count: number; within10ms: number }>();
  for (const [, series, kind, figure] of text.matchAll(/^netfleet_hub_nodejs_gc_duration_seconds_(sum|count|bucket)\{(?:le="0\.01",)?kind="(\w+)"(?:,le="0\.01")?\} (\S+)$/gm)) {
    const entry = gc.get(kind!) ?? { seconds: 0, count: 0, within10ms: 0 };
    if (series === 'sum') entry.seconds = Number(figure);
    else if (series === 'count') entry.count = Number(figure);
    else entry.within10ms = Number(figure);
    gc.set(kind!, entry);
  }
  return { gc, heapUsed: value('nodejs_heap_size_used_bytes'), loopDelayP99: value('nodejs_eventloop_lag_p99_seconds'), loopDelayMax: value('nodejs_eventloop_lag_max_seconds') };
}

/** GC over the run by kind: seconds, pauses, and pauses over 10 ms. */
function gcSince(before: HubRuntime, after: HubRuntime): string {
  const kinds = [...after.gc].map(([kind, now]) => {
    const then = before.gc.get(kind) ?? { seconds: 0, count: 0, within10ms: 0 };
    const count = now.count - then.count;
    return { kind, seconds: now.seconds - then.seconds, count, over10ms: count - (now.within10ms - then.within10ms) };
  }).filter((kind) => kind.count > 0);
  const total = kinds.reduce((sum, kind) => sum + kind.seconds, 0);
  return `${total.toFixed(1)} s (${kinds.map((kind) => `${kind.kind} ${kind.seconds.toFixed(1)} s in ${kind.count}, ${kind.over10ms} over 10 ms`).join('; ')})`;
}

/** utime + stime of a process in seconds, and its resident memory in bytes (Linux /proc). */
async function processUsage(pid: number): Promise<{ cpu: number; rss: number }> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpu: (Number(fields[11]) + Number(fields[12])) / 100, rss: rssKb * 1024 };
}

async function redisUsage(redis: Redis): Promise<{ cpu: number; memory: number }> {
  const info = await redis.info();
  const number = (field: string) => Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return { cpu: number('used_cpu_user') + number('used_cpu_sys'), memory: number('used_memory') };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Calls `onLine` for each line `child` prints; resolves with the rest of the first line starting with `word`. */
function linesOf(child: ChildProcess, word: string, onLine: (line: string) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === word || line.startsWith(`${word} `)) resolve(line.slice(word.length + 1));
      onLine(line);
    });
    child.once('exit', (code) => reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`)));
  });
}

function spawnTsx(script: string, args: string[], nodeFlags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
}

/** BENCH_HUB_CPU_PROF=<dir>: the hub replica writes a V8 CPU profile there when it exits. */
const HUB_PROFILE = process.env.BENCH_HUB_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_HUB_CPU_PROF] : [];
/** The hub replica's node flags: deploy/hub/hub.yaml's, or BENCH_HUB_NODE_FLAGS instead (`''` for none). */
const HUB_FLAGS = process.env.BENCH_HUB_NODE_FLAGS === undefined ? deployedNodeFlags('hub/hub.yaml', 'hub') : process.env.BENCH_HUB_NODE_FLAGS.split(' ').filter(Boolean);

/** Client and in-hub (Server-Timing) latencies of the API reads. */
class ApiProbe {
  readonly list: number[] = [];
  readonly listServer: number[] = [];
  readonly detail: number[] = [];
  readonly detailServer: number[] = [];
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly url: string, private readonly token: string, private readonly fleet: Credentials[]) {}

  /** Answers other than 2xx, by status and error code, with the first message of each. */
  readonly failures = new Map<string, { count: number; message: string }>();

  private async get(path: string, into?: number[], server?: number[]): Promise<unknown> {
    const started = performance.now();
    const response = await fetch(`${this.url}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    const body: unknown = await response.json();
    if (!response.ok) {
      // A refused read is a finding of the run, counted and printed at the end, not the bench's failure.
      const error = (body as { error?: { code?: string; message?: string } }).error;
      const key = `HTTP ${response.status} ${error?.code ?? ''}`.trim();
      const seen = this.failures.get(key) ?? { count: 0, message: error?.message ?? '' };
      seen.count += 1;
      this.failures.set(key, seen);
      return {};
    }
    into?.push(performance.now() - started);
    server?.push(Number(/dur=([\d.]+)/.exec(response.headers.get('server-timing') ?? '')?.[1] ?? Number.NaN));
    return body;
  }

  async warmUp(): Promise<void> {
    for (let index = 0; index < 30; index += 1) {
      await this.get('/api/v1/clusters?limit=100');
      await this.get(`/api/v1/clusters/${this.fleet[index % this.fleet.length]!.cluster}`);
    }
  }

  /** A list page (a region filter every other time, up to 3 pages deep by cursor) and a detail, every 50 ms. */
  start(): void {
    this.loop = (async () => {
      let cursor: string | undefined;
      for (let index = 0; this.running; index += 1) {
        const filter = index % 2 === 0 ? `&region=${REGIONS[index % REGIONS.length]}` : '';
        const page = await this.get(`/api/v1/clusters?limit=100${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, this.list, this.listServer) as { nextCursor?: string };
        cursor = index % 3 === 2 ? undefined : page.nextCursor;
        await this.get(`/api/v1/clusters/${this.fleet[(index * 7919) % this.fleet.length]!.cluster}`, this.detail, this.detailServer);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** What fleet-agents.ts prints when done. */
interface AgentsDone {
  sent: number;
  accepted: number;
  resent: number;
  refused: number;
  skipped: number;
  unsent: number;
  maxLagMs: number;
  cpuSeconds: number;
}

interface Sample {
  ms: number;
  waiting: number;
  active: number;
}

/** Least-squares slope of the queue's waiting count over the samples, in jobs per second. */
function slope(samples: Sample[]): number {
  if (samples.length < 2) return 0;
  const meanX = samples.reduce((sum, sample) => sum + sample.ms, 0) / samples.length;
  const meanY = samples.reduce((sum, sample) => sum + sample.waiting, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const sample of samples) {
    num += (sample.ms - meanX) * (sample.waiting - meanY);
    den += (sample.ms - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 1000;
}

export async function fleetLoad(clusters: number, durationSeconds: number): Promise<void> {
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  const work = await mkdtemp(join(tmpdir(), 'netfleet-fleet-load-'));
  const secret = `bench-secret-${randomBytes(16).toString('hex')}`;
  const admin = `bench-admin-${randomBytes(8).toString('hex')}`;
  const logger = createLogger({ name: 'bench', level: 'warn' });

  const registering = performance.now();
  const registrar = new Hub({ redisUrl: redisServer.url, prefix: PREFIX, secret, logger, ingest: false, sweeper: false, rollouts: false });
  const fleet = await registerFleet(registrar, clusters);
  await registrar.close();
  await writeFile(join(work, 'credentials.json'), JSON.stringify(fleet));
  console.log(`registered ${clusters} clusters in ${seconds(performance.now() - registering)}`);

  const hub = spawnTsx('./hub-replica.ts', [redisServer.url, PREFIX, secret, admin, String(clusters)], [...HUB_FLAGS, ...HUB_PROFILE]);
  const url = await linesOf(hub, 'listening');
  const probe = new ApiProbe(url, admin, fleet);
  await probe.warmUp();

  // The stopped clusters are the first ones (they report first in every interval); a short
  // run stops them right after their first report so that detection fits in the run's drain.
  const stopAt = durationSeconds >= 150 ? durationSeconds / 2 : 1;
  const agents = spawnTsx('./fleet-agents.ts', [url, join(work, 'credentials.json'), String(durationSeconds), String(STOPPED), String(stopAt), join(work, 'result.json')]);
  // BullMQ under native ESM needs a client instance; closing the queue leaves it open.
  const queueConnection = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const queue = new Queue(REPORT_QUEUE, { connection: queueConnection, prefix: PREFIX });

  const samples: Sample[] = [];
  let agentTick: Record<string, number> = {};
  let stoppedAt: number | undefined;
  let agentsDone: AgentsDone | undefined;
  await linesOf(agents, 'ready', (line) => {
    if (line.startsWith('tick ')) agentTick = JSON.parse(line.slice(5)) as Record<string, number>;
    else if (line.startsWith('stopped ')) stoppedAt = Date.now();
    else if (line.startsWith('done ')) agentsDone = JSON.parse(line.slice(5)) as AgentsDone;
  });

  const hubBefore = await processUsage(hub.pid!);
  const runtimeBefore = await hubRuntime(url);
  const redisBefore = await redisUsage(redis);
  let hubLast = hubBefore;
  let redisLast = redisBefore;
  let maxRss = hubBefore.rss;
  let maxRedisMemory = redisBefore.memory;
  const started = performance.now();
  probe.start();
  console.log(`   t   queue waiting/active   hub CPU  RSS      Redis CPU  memory   | agents: sent  accepted  resent  lag (max)   POST p99`);
  const sample = async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
    const hubNow = await processUsage(hub.pid!);
    const redisNow = await redisUsage(redis);
    const ms = performance.now() - started;
    const last = samples.at(-1)?.ms ?? 0;
    const span = (ms - last) / 1000;
    samples.push({ ms, waiting: counts.waiting! + counts.prioritized!, active: counts.active! });
    maxRss = Math.max(maxRss, hubNow.rss);
    maxRedisMemory = Math.max(maxRedisMemory, redisNow.memory);
    console.log(`${String(Math.round(ms / 1000)).padStart(4)}s ${String(samples.at(-1)!.waiting).padStart(10)}/${String(counts.active).padEnd(10)} `
      + `${(((hubNow.cpu - hubLast.cpu) / span) * 100).toFixed(0).padStart(5)}%  ${mb(hubNow.rss).padEnd(8)} `
      + `${(((redisNow.cpu - redisLast.cpu) / span) * 100).toFixed(0).padStart(6)}%    ${mb(redisNow.memory).padEnd(8)} | `
      + `${String(agentTick.sent ?? 0).padStart(12)} ${String(agentTick.accepted ?? 0).padStart(9)} ${String(agentTick.resent ?? 0).padStart(7)}  `
      + `${seconds(agentTick.lagMs ?? 0)} (${seconds(agentTick.maxLagMs ?? 0)})  ${agentTick.postP99 ?? '-'} ms`);
    hubLast = hubNow;
    redisLast = redisNow;
  };
  const sampler = setInterval(() => void sample(), SAMPLE_MS);

  // Until the agents are done: then the drain, and the offline detection if still pending.
  while (!agentsDone) await new Promise((resolve) => setTimeout(resolve, 200));
  const sendSeconds = (performance.now() - started) / 1000;
  const waitingAtEnd = samples.at(-1)?.waiting ?? 0;
  const drainStarted = performance.now();
  let left = 0;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
    left = counts.waiting! + counts.active! + counts.prioritized!;
    if (left === 0 || performance.now() - drainStarted > DRAIN_LIMIT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const drainMs = performance.now() - drainStarted;
  const hubAfter = await processUsage(hub.pid!);
  const runtimeAfter = await hubRuntime(url);
  const redisAfter = await redisUsage(redis);
  const wall = (performance.now() - started) / 1000;

  const stoppedNames = fleet.slice(0, STOPPED).map((credentials) => credentials.cluster);
  const offline = async () => Promise.all(stoppedNames.map(async (name) => {
    const [lastSeen, offlineSince, state] = await redis.hmget(`${PREFIX}:cluster:${name}`, 'lastSeen', 'offlineSince', 'state');
    return { lastSeen: Number(lastSeen), offlineSince: offlineSince ? Number(offlineSince) : undefined, state };
  }));
  const detectionDeadline = (stoppedAt ?? Date.now()) + 2 * HEARTBEAT_MS + 30_000;
  let detected = await offline();
  while (detected.some((cluster) => cluster.offlineSince === undefined) && Date.now() < detectionDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    detected = await offline();
  }
  clearInterval(sampler);
  await probe.stop();

  // Exactly once: each cluster applied as many reports as its agent was told were accepted, up to the last seq it sent.
  const stillQueued = await queue.getJobCounts('waiting', 'active', 'prioritized');
  left = stillQueued.waiting! + stillQueued.active! + stillQueued.prioritized!;
  const result = JSON.parse(await readFile(join(work, 'result.json'), 'utf8')) as { accepted: Record<string, number>; lastSeq: Record<string, number> };
  let applied = 0;
  let acceptedTotal = 0;
  // A cluster that applied more than it was told were accepted applied one twice; fewer: still queued, or lost.
  const twice: string[] = [];
  const missing: string[] = [];
  for (let start = 0; start < fleet.length; start += 5000) {
    const pipeline = redis.pipeline();
    const names = fleet.slice(start, start + 5000).map((credentials) => credentials.cluster);
    for (const name of names) pipeline.hmget(`${PREFIX}:cluster:${name}`, 'reports', 'maxSeq');
    const replies = (await pipeline.exec())!;
    names.forEach((name, index) => {
      const [reports, maxSeq] = replies[index]![1] as [string | null, string | null];
      applied += Number(reports ?? 0);
      acceptedTotal += result.accepted[name] ?? 0;
      const expected = result.accepted[name] ?? 0;
      if (Number(reports ?? 0) > expected) twice.push(name);
      else if (Number(reports ?? 0) < expected || Number(maxSeq ?? 0) !== (result.lastSeq[name] ?? 0)) missing.push(name);
    });
  }

  const offered = clusters / (HEARTBEAT_MS / 1000);
  // The trend while sending: after it the queue only drains.
  const middle = samples.filter((sample) => sample.ms >= (sendSeconds * 1000) / 3 && sample.ms <= sendSeconds * 1000);
  const growth = slope(middle);
  // A hub that cannot keep up shows it in the queue, or, once the queue is at its bound (429) or the API is slow, in the agents
  // falling behind (more than a second's reports unsent at the end, or a heartbeat interval late).
  const growing = growth > offered * 0.01 || agentsDone.unsent > offered || agentsDone.maxLagMs > HEARTBEAT_MS;
  const maxWaiting = Math.max(0, ...samples.map((sample) => sample.waiting));
  const hubCpu = hubAfter.cpu - hubBefore.cpu;
  const redisCpu = redisAfter.cpu - redisBefore.cpu;
  const delays = detected.map((cluster) => (cluster.offlineSince === undefined ? Number.NaN : cluster.offlineSince - cluster.lastSeen));
  const detectionGoal = 2 * HEARTBEAT_MS + 5000;
  console.log(`clusters                 ${clusters} (${REGIONS.length} regions), a report every 30 s each (${offered.toFixed(0)}/s offered), real mix, one report per request, ${process.env.BENCH_HUB_LANES ?? 64} request loops`);
  console.log(`reports sent             ${agentsDone.sent} in ${sendSeconds.toFixed(1)} s (${(agentsDone.sent / sendSeconds).toFixed(0)}/s); accepted ${agentsDone.accepted}, resent after 429/5xx/no answer ${agentsDone.resent}, refused ${agentsDone.refused}; not sent (the loops behind schedule when the run ended) ${agentsDone.unsent}; agents' lag behind schedule max ${seconds(agentsDone.maxLagMs)}; agents' CPU ${agentsDone.cpuSeconds.toFixed(1)} s`);
  const some = (names: string[]) => (names.length ? ` (${names.slice(0, 3).join(', ')}…)` : '');
  console.log(`exactly once             ${applied} applied of ${acceptedTotal} accepted; clusters that applied a report twice: ${twice.length}${some(twice)}, `
    + `that applied fewer than accepted or another highest seq: ${missing.length}${some(missing)}${left > 0 ? ` (${left} jobs still queued)` : ''}  goal: 0 and 0: ${twice.length === 0 && missing.length === 0 ? 'met' : 'NOT met'}`);
  console.log(`queue depth (waiting)    max ${maxWaiting}, at the end of sending ${waitingAtEnd}, ${left === 0 ? `drained ${drainMs.toFixed(0)} ms later` : `NOT drained ${seconds(drainMs)} later (${left} left)`}; trend over the last two thirds of sending ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} jobs/s; backlog (queue, or agents behind schedule): ${growing ? 'GROWING' : 'bounded'}`);
  console.log(`hub process              CPU ${hubCpu.toFixed(1)} s over ${wall.toFixed(1)} s = ${((hubCpu / wall) * 100).toFixed(0)}% of one core; RSS max ${mb(maxRss)}, at the end ${mb(hubAfter.rss)}`);
  console.log(`hub runtime              event loop delay over the run p99 ${(runtimeAfter.loopDelayP99 * 1000).toFixed(1)} ms, max ${(runtimeAfter.loopDelayMax * 1000).toFixed(1)} ms; GC ${gcSince(runtimeBefore, runtimeAfter)}; heap in use at the end ${mb(runtimeAfter.heapUsed)}; node flags: ${HUB_FLAGS.join(' ') || 'none'}${process.env.BENCH_HUB_NODE_FLAGS === undefined ? ' (deploy/hub/hub.yaml)' : ' (BENCH_HUB_NODE_FLAGS)'}`);
  console.log(`Redis                    CPU ${redisCpu.toFixed(1)} s = ${((redisCpu / wall) * 100).toFixed(0)}% of one core (${((redisCpu / Math.max(1, applied)) * 1e6).toFixed(0)} µs per report applied); used_memory max ${mb(maxRedisMemory)}, at the end ${mb(redisAfter.memory)} (${(redisAfter.memory / clusters).toFixed(0)} B/cluster)`);
  const latencyLine = (name: string, client: number[], server: number[]) => console.log(
    `${name} p50 ${percentile(client, 50).toFixed(1)} ms  p99 ${percentile(client, 99).toFixed(1)} ms  (${client.length} requests; in the hub: p50 ${percentile(server, 50).toFixed(1)} ms, p99 ${percentile(server, 99).toFixed(1)} ms)  goal p99 < 100 ms: ${percentile(client, 99) < 100 ? 'met' : `NOT met (${(percentile(client, 99) - 100).toFixed(0)} ms over)`}`);
  latencyLine('API list (100/page, cursor)', probe.list, probe.listServer);
  latencyLine('API detail              ', probe.detail, probe.detailServer);
  for (const [key, { count, message }] of probe.failures) console.log(`API reads refused: ${count} × ${key} (${message})`);
  if (probe.failures.size === 0) console.log('API reads refused: none');
  // Wall-clock ms of the run's start, to place each stopped cluster's last applied report in the run.
  const runStart = Date.now() - (performance.now() - started);
  const never = (cluster: typeof detected[number]) => `not yet (${cluster.state}; last report applied at t=${seconds(cluster.lastSeen - runStart)})`;
  console.log(`offline detection        ${STOPPED} clusters stopped${stoppedAt ? ` at t=${seconds(stoppedAt - runStart)}` : ' (never reached again by the loops)'}; marked offline ${detected.map((cluster, index) => (Number.isNaN(delays[index]!) ? never(cluster) : seconds(delays[index]!))).join(', ')} after their last report  goal <= ${seconds(detectionGoal)} (two heartbeats + the sweep interval): ${delays.every((delay) => delay <= detectionGoal) ? 'met' : 'NOT met'}`);
  // One cluster in ten reports one of its links failing (the peer's side stays healthy): once
  // the findings have lasted the raise hold (120 s), that is one link alert each.
  const keys = new HubKeys(PREFIX);
  const [problems, partitions] = await Promise.all([AlertRule.LinkProblem, AlertRule.LinkPartition].map((rule) => redis.scard(keys.firingAlertsOf(rule))));
  console.log(`link alerts firing       ${problems} link problems, ${partitions} partitions (mesh groups of 5; clusters reporting a failing link: ${Math.ceil(clusters / 10)})`);
  console.log(`machine load average     ${loadavg().map((value) => value.toFixed(1)).join(' ')} (1/5/15 min) on ${cpus().length} cores`);

  await queue.close();
  queueConnection.disconnect();
  hub.stdin!.end();
  await new Promise((resolve) => hub.once('exit', resolve));
  redis.disconnect();
  await redisServer.dispose();
  await rm(work, { recursive: true, force: true });
}
