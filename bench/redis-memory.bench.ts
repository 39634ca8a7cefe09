/**
 * `pnpm bench:redis-memory`: Redis memory per cluster, on a private `redis-server` so that
 * `INFO memory` counts this fleet alone. Registers BENCH_MEMORY_CLUSTERS clusters (5
 * regions, labels), sends each the real mix of reports through the hub's ingest worker
 * (heartbeats, a sync with 20 changes, a drift report of 3 items, a link report of 4
 * federation links with probe results, one cluster in ten with a failing link), then a
 * rollout covering and assigning every cluster, and
 * prints for each stage the `used_memory` delta per cluster, and at the end `MEMORY
 * USAGE` summed per key family, the Redis server's CPU per report applied (the baseline: the same hub with no cluster) and the
 * largest fields of a cluster's hash. docs/scale.md extrapolates from these figures.
 *
 * Options (env): BENCH_MEMORY_CLUSTERS (10000), BENCH_MEMORY_REPORTS (the heartbeats per
 * cluster besides its sync, drift and link report; 2), BENCH_MEMORY_CONCURRENCY (report
 * jobs the ingest worker runs at once; 32). Each cluster's reports go to the queue as one
 * job, as the API queues one request of them, so 100,000 clusters take minutes, not hours.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Queue } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import {
  Action, EARLIER_REPORT_QUEUE, PROTOCOL_VERSION, REPORT_QUEUE, ReportKind, SyncReason, SyncStatus, createLogger, signReport,
  type Credentials, type RolloutPolicy, type UnsignedReport,
} from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { reportJob } from '../hub/src/ingest/report-job.js';
import { createRollout, reduceAll } from '../hub/src/rollout/machine.js';
import { planRollout } from '../hub/src/rollout/plan.js';
import { rolloutIdOf } from '../hub/src/rollout/ids.js';
import { startRedis } from '../test/src/redis.js';
import { linkReport } from './report-mix.js';

const CLUSTERS = Number(process.env.BENCH_MEMORY_CLUSTERS ?? 10_000);
const HEARTBEATS = Number(process.env.BENCH_MEMORY_REPORTS ?? 2);
const INGEST_CONCURRENCY = Number(process.env.BENCH_MEMORY_CONCURRENCY ?? 32);
const REGIONS = ['eu', 'us', 'ap', 'sa', 'af'];
const PREFIX = '{netfleet}';
const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const logger = createLogger({ name: 'bench', level: 'warn' });
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const perCluster = (bytes: number) => `${(bytes / CLUSTERS).toFixed(0)} B/cluster`;

const redisServer = await startRedis();
const redis = new Redis(redisServer.url);

/** Seconds of CPU the Redis server used so far (user + system, all its threads). */
async function redisCpuSeconds(): Promise<number> {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]);
}

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

/** A cluster's reports: its heartbeats, one sync, one drift and one link report, in seq order. */
function reportsOf(cluster: string, index: number): UnsignedReport[] {
  const base = (seq: number) => ({ protocolVersion: PROTOCOL_VERSION as typeof PROTOCOL_VERSION, cluster, seq, time: new Date().toISOString() });
  const subject = (n: number) => ({ group: 'deckhouse.io', kind: 'IngressNginxController', namespace: '', name: `ingress-${n}` });
  // One cluster in ten has a failing link (which raises an alert).
  const failing = (link: number) => link === 3 && index % 10 === 0;
  const peers = [1, 2, 3, 4].map((offset) => `c-${String((index + offset) % CLUSTERS).padStart(6, '0')}`);
  const reports: UnsignedReport[] = [
    { ...base(1), kind: ReportKind.Sync, body: {
      revision: REVISION, status: SyncStatus.Succeeded, reason: SyncReason.Succeeded,
      changes: Array.from({ length: 20 }, (_, n) => ({ subject: subject(n), action: n % 5 === 0 ? Action.Configured : Action.Unchanged })),
    } },
    { ...base(2), kind: ReportKind.Drift, body: {
      revision: REVISION,
      items: Array.from({ length: 3 }, (_, n) => ({
        id: `deckhouse.io_IngressNginxController__ingress-${n}`, subject: subject(n), type: 'changed', policy: 'alert',
        fields: [{ path: '/spec/minReplicas', desired: 2, live: 3 }, { path: '/spec/inlet', desired: 'LoadBalancer', live: 'HostPort' }],
      })),
    } },
    linkReport(cluster, 3, peers, new Set(peers.filter((_peer, n) => failing(n)))),
  ] as UnsignedReport[];
  for (let n = 0; n < HEARTBEATS; n++) {
    reports.push({ ...base(4 + n), kind: ReportKind.Heartbeat, body: {
      revision: REVISION, objects: 42, driftCount: 3, agentVersion: '0.1.0', readiness: { ready: 40, notReady: 1, waiting: 1 },
    } } as UnsignedReport);
  }
  return reports;
}

/**
 * Queues every cluster's reports as the API does for one request holding them (one job per
 * cluster: the reports' JSON texts) and waits until the ingest worker applied them all.
 */
async function sendReports(hub: Hub, fleet: Credentials[]): Promise<number> {
  const connection = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const queue = new Queue(REPORT_QUEUE, { connection, prefix: PREFIX });
  let sent = 0;
  for (let start = 0; start < fleet.length; start += 500) {
    const jobs = fleet.slice(start, start + 500).map((credentials, offset) => reportJob([{
      sender: credentials.cluster,
      reports: reportsOf(credentials.cluster, start + offset).map((unsigned) => JSON.stringify(signReport(unsigned, credentials.reportKey))),
    }]));
    await queue.addBulk(jobs);
    sent += jobs.reduce((sum, job) => sum + job.data.requests[0]!.reports.length, 0);
    // Keep the backlog bounded, as the API's queue bound would.
    while ((await queue.getWaitingCount()) > 5_000) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
    if (counts.failed! > 0) throw new Error(`${counts.failed} report jobs failed to apply`);
    if (counts.waiting! + counts.active! + counts.delayed! === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const applied = await hub.fleet.detail(fleet.at(-1)!.cluster);
  if (applied?.lastSeq !== 3 + HEARTBEATS) throw new Error(`the last cluster's reports were not all applied (last seq ${applied?.lastSeq})`);
  await queue.close();
  connection.disconnect();
  return sent;
}

/** A rollout of every cluster, all of them assigned the revision, as the controller stores it. */
async function storeRollout(hub: Hub, fleet: Credentials[]): Promise<void> {
  const policy: RolloutPolicy = {
    name: 'regions',
    waves: [{ name: 'all', selector: { all: true }, maxParallel: undefined, bakeTimeSeconds: 3600, deadlineSeconds: undefined }],
    gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
    onFailure: 'pause', unselectedClusters: 'lastWave', blackouts: undefined, source: { file: 'bench', document: 'RolloutPolicy/regions' },
  };
  const revision = randomBytes(20).toString('hex');
  const plan = planRollout(policy, fleet.map((credentials, index) => ({ name: credentials.cluster, region: REGIONS[index % REGIONS.length]!, labels: {} })));
  const rollout = createRollout({ id: rolloutIdOf(revision), revision, previousRevision: REVISION, failurePolicy: 'pause', policy: { name: policy.name, blackouts: undefined }, plan, at: Date.now() });
  await hub.rollouts.store.create(rollout);
  await hub.rollouts.store.commit(rollout.version, reduceAll(rollout, [{ type: 'tick', at: Date.now() }]));
}

/** The key family of a key: its name with cluster names, ids and index values left out. */
function familyOf(key: string): string {
  const rest = key.slice(PREFIX.length + 1);
  const [head, second, third] = rest.split(':');
  if (head === 'cluster') return third ? `cluster:*:${third}` : 'cluster:*';
  if (head === 'idx') return `idx:${second}:*`;
  if (head === 'rollout') return third ? `rollout:*:${third}` : 'rollout:*';
  // BullMQ's event stream is capped (10,000 entries): a fixed cost, not one per cluster.
  if (head === REPORT_QUEUE || head === EARLIER_REPORT_QUEUE) return `${head}:${second === 'events' ? 'events (capped)' : '*'} (BullMQ)`;
  return head!;
}

async function memoryByFamily(): Promise<Map<string, { keys: number; bytes: number }>> {
  const families = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 2000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key, 'SAMPLES', '0');
    const sizes = (await pipeline.exec())!.map(([, size]) => Number(size ?? 0));
    keys.forEach((key, index) => {
      const family = families.get(familyOf(key)) ?? { keys: 0, bytes: 0 };
      family.keys += 1;
      family.bytes += sizes[index]!;
      families.set(familyOf(key), family);
    });
  } while (cursor !== '0');
  return families;
}

const hub = new Hub({
  redisUrl: redisServer.url, prefix: PREFIX, secret: `bench-secret-${randomBytes(16).toString('hex')}`, adminTokens: [], logger, sweeper: false,
  ingestConcurrency: INGEST_CONCURRENCY,
  // The link health pass (every sweep interval) reads every cluster's link seq and keeps
  // the link matrix in the process, not in Redis; at 100,000 clusters each pass holds the
  // worker's event loop long enough for jobs to lose their locks. Once, at start, is enough here.
  sweepIntervalMs: 3_600_000,
  // The rollout controller reads every firing alert on each tick; the bench stores its
  // rollout itself.
  rollouts: false,
});
await hub.start();
const baseline = await usedMemory();
const baselineFamilies = await memoryByFamily();

const started = performance.now();
const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 3600, maxUses: CLUSTERS });
const bootstrapForSteady = await hub.registry.createBootstrapToken({ ttlSeconds: 36_000, maxUses: 1 });
const fleet: Credentials[] = [];
for (let start = 0; start < CLUSTERS; start += 200) {
  const batch = Array.from({ length: Math.min(200, CLUSTERS - start) }, (_, offset) => start + offset);
  fleet.push(...await Promise.all(batch.map((index) => hub.registry.register(bootstrap.token, {
    cluster: `c-${String(index).padStart(6, '0')}`, region: REGIONS[index % REGIONS.length]!,
    labels: { tier: index % 3 === 0 ? 'prod' : 'dev', team: `t${index % 7}` },
  }))));
}
// Each stage is printed as it ends: on a busy machine the reports take long.
console.log(`\nRedis memory, ${CLUSTERS} clusters (private redis-server, used_memory; reports: ${HEARTBEATS} heartbeats, 1 sync, 1 drift, 1 link report each)`);
console.log(`   baseline, the hub with no cluster:    ${mb(baseline)}`);
const registered = await usedMemory();
const registerSeconds = (performance.now() - started) / 1000;
console.log(`   registered:                           +${mb(registered - baseline)}  ${perCluster(registered - baseline)}  (${registerSeconds.toFixed(0)} s)`);
const cpuBeforeReports = await redisCpuSeconds();
const sent = await sendReports(hub, fleet);
const redisCpuPerReport = ((await redisCpuSeconds()) - cpuBeforeReports) / sent;
const reported = await usedMemory();
const ingestSeconds = (performance.now() - started) / 1000 - registerSeconds;
console.log(`   after the reports:                    +${mb(reported - baseline)}  ${perCluster(reported - baseline)}  (${sent} reports, ingest ${(sent / ingestSeconds).toFixed(0)} reports/s)`);
console.log(`   Redis CPU per report applied:         ${(redisCpuPerReport * 1e6).toFixed(0)} µs (queue add, worker fetch, ingest script, completion): one core takes ${(1 / redisCpuPerReport).toFixed(0)} reports/s`);
try {
  await storeRollout(hub, fleet);
  const rolledOut = await usedMemory();
  console.log(`   after a rollout of every cluster:     +${mb(rolledOut - baseline)}  ${perCluster(rolledOut - baseline)}  (the rollout alone ${perCluster(rolledOut - reported)})`);
} catch (error) {
  // The commit passes every assignment as an argument of one script call, which has a limit.
  console.log(`   a rollout of every cluster:           not stored: ${(error as Error).message}`);
}
const families = await memoryByFamily();
console.log('   MEMORY USAGE by key family (keys, total, per cluster):');
for (const [family, { keys, bytes }] of [...families].sort((a, b) => b[1].bytes - a[1].bytes)) {
  const before = baselineFamilies.get(family)?.bytes ?? 0;
  console.log(`     ${family.padEnd(34)} ${String(keys).padStart(7)} keys  ${mb(bytes).padStart(9)}  ${perCluster(bytes - before)}`);
}
const sample = fleet[Math.floor(CLUSTERS / 2)]!.cluster;
const fields = await redis.hgetall(`${PREFIX}:cluster:${sample}`);
const largest = Object.entries(fields).map(([field, value]) => [field, Buffer.byteLength(value)] as const).sort((a, b) => b[1] - a[1]).slice(0, 6);
console.log(`   largest fields of a cluster hash (bytes): ${largest.map(([field, bytes]) => `${field} ${bytes}`).join(', ')}`);
// A cluster reporting for days: its seen-seq window is full and its events list at the
// cap; both are built here through the ingest script itself, beyond what a short run shows.
const steady = await hub.registry.register(bootstrapForSteady.token, { cluster: 'steady', region: 'eu', labels: {} });
const window = hub.options.replayWindow;
const steadyEvents = await redis.lrange(`${PREFIX}:cluster:${sample}:events`, 0, -1);
for (let start = 1; start <= 2 * window; start += 100) {
  await hub.scripts.ingestReports(steady.cluster, 1, Date.now(), Array.from({ length: 100 }, (_, offset) => ({
    seq: start + offset, event: steadyEvents[(start + offset) % steadyEvents.length]!, groups: [],
  })));
}
const seenBytes = Number(await redis.memory('USAGE', `${PREFIX}:cluster:steady:seen`, 'SAMPLES', '0'));
const eventsBytes = Number(await redis.memory('USAGE', `${PREFIX}:cluster:steady:events`, 'SAMPLES', '0'));
const eventsKept = await redis.llen(`${PREFIX}:cluster:steady:events`);
console.log(`   a cluster after days of reports (${2 * window} seqs): seen-seq window (${window} seqs) ${seenBytes} B, events list at its cap (${eventsKept} of eventsCap ${hub.options.eventsCap}) ${eventsBytes} B`);
console.log(`   machine load (1/5/15 min): ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);

await hub.close();
redis.disconnect();
await redisServer.dispose();
