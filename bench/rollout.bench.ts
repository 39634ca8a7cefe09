/**
 * `pnpm bench:rollout`: rollout benchmarks on the machine's Redis (127.0.0.1:6379 or
 * NETFLEET_REDIS_URL), each against a baseline measured in the same run.
 *
 * 1. Commit to canary: a commit pushed to a git server (`git http-backend`), its push webhook
 *    to the hub, and a lightweight canary agent long-polling its assignment over HTTP that
 *    reports the sync as applied through the report queue. Times webhook → assignment
 *    received and webhook → applied in the hub's state, p50/p95 over BENCH_ROLLOUT_COMMITS
 *    commits (each supersedes the previous rollout). Baseline: an assignment written to the
 *    store directly → the same agent woken (the notification path alone).
 * 2. Fleet rollout: BENCH_ROLLOUT_CLUSTERS simulated clusters in 4 regions through a 4-wave
 *    rollout (25% at a time, zero bake), agents (bench/rollout-agents.ts, their own process)
 *    applying each assignment at once by sending sync and heartbeat reports; total time
 *    (goal < 30 s at 10,000), the hub's CPU, the agents' and the Redis server's. Baseline: the state machine
 *    alone driving the same rollout in memory.
 *
 * 1b. The same with a real canary: the agent daemon, its AssignmentClient and Reporter, syncing
 *    the example fleet into a Kubernetes API test server; webhook → applied, p50/p95.
 *
 * Options (env): BENCH_ROLLOUT_COMMITS (20), BENCH_ROLLOUT_CLUSTERS (1000), BENCH_ROLLOUT_PARTS (`canary,agent,fleet`).
 */
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join, relative } from 'node:path';
import { Queue } from '../hub/node_modules/bullmq/dist/esm/index.js';
import { Redis } from '../hub/node_modules/ioredis/built/index.js';
import {
  REPORT_QUEUE, createLogger, type AssignmentResponse, type Credentials, type RolloutPolicy,
} from '../shared/src/index.js';
import { Hub } from '../hub/src/index.js';
import { createRollout, reduceAll, ClusterStatus, type Rollout, type RolloutEvent } from '../hub/src/rollout/machine.js';
import { planRollout } from '../hub/src/rollout/plan.js';
import { rolloutIdOf } from '../hub/src/rollout/ids.js';
import { startGitServer } from '../test/src/git-server.js';
import { AssignmentClient } from '../agent/src/assignment/index.js';
import { gitFleetSource } from '../agent/src/daemon/sources.js';
import { connectToHub, saveCredentials } from '../agent/src/report/index.js';
import { GitSource } from '../git/src/index.js';
import { daemonFor } from '../agent/test/fleet.js';
import { startCluster } from '../agent/test/harness.js';
import { createWorkTree, type WorkTree } from '../test/src/git-repo.js';
import { deleteKeysWithPrefix } from '../test/src/redis.js';
import { appliedReportJobs } from './applied-reports.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const COMMITS = Number(process.env.BENCH_ROLLOUT_COMMITS ?? 20);
const CLUSTERS = Number(process.env.BENCH_ROLLOUT_CLUSTERS ?? 1000);
const PARTS = (process.env.BENCH_ROLLOUT_PARTS ?? 'canary,agent,fleet').split(',');
const SECRET = `bench-secret-${randomBytes(16).toString('hex')}`;
const ADMIN = `bench-admin-${randomBytes(8).toString('hex')}`;
const WEBHOOK_SECRET = `bench-webhook-${randomBytes(8).toString('hex')}`;
const logger = createLogger({ name: 'bench', level: 'warn' });
const bullRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });

const newPrefix = (label: string) => `{nf-bench-${label}-${randomBytes(4).toString('hex')}}`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

const dropKeys = (prefix: string) => deleteKeysWithPrefix(REDIS_URL, prefix);

function newHub(prefix: string, extra: Partial<ConstructorParameters<typeof Hub>[0]> = {}): Hub {
  return new Hub({ redisUrl: REDIS_URL, prefix, secret: SECRET, adminTokens: [ADMIN], logger, sweeper: false, ...extra });
}

/** Sends an agent's reports: a sync of `revision` and a heartbeat with everything ready. */
class ReportSender {
  private readonly queue: Queue;
  private readonly seqs = new Map<string, number>();
  constructor(prefix: string) {
    this.queue = new Queue(REPORT_QUEUE, { connection: bullRedis, prefix });
  }
  async applied(credentials: Credentials, revision: string): Promise<void> {
    const seq = (this.seqs.get(credentials.cluster) ?? 0) + 1;
    this.seqs.set(credentials.cluster, seq + 1);
    await this.queue.addBulk(appliedReportJobs(credentials, seq, revision));
  }
  close(): Promise<void> {
    return this.queue.close();
  }
}

async function filesOf(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[relative(root, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

const CANARY_POLICY = `apiVersion: netfleet.io/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  waves:
    - name: canary
      selector:
        names: [eu-fra-2]
      bakeTime: 1h
    - name: rest
      selector:
        regions: [eu-central, us-east, ap-south]
  onFailure: pause
  unselectedClusters: lastWave
`;

/** The example fleet with the canary policy, committed to a repository on a git server. */
async function exampleFleetRepo() {
  const server = await startGitServer();
  const repo = await server.createRepo('fleet');
  const tree = await createWorkTree(repo.dir);
  await tree.write({ ...(await filesOf(new URL('../examples/fleet/', import.meta.url).pathname)), 'rollout/default.yaml': CANARY_POLICY });
  await tree.commit('the fleet');
  await tree.push();
  return { server, repo, tree };
}

/**
 * Commits and pushes a change, then sends the hub the push webhook a forge would (signed);
 * returns the new revision and when the webhook was sent, where the measured time starts.
 */
async function pushWithWebhook(tree: WorkTree, base: string, message: string): Promise<{ revision: string; started: number }> {
  await tree.write({ 'README.md': `${message}\n` });
  const before = await tree.resolve('HEAD');
  const revision = await tree.commit(message);
  await tree.push();
  const body = JSON.stringify({ ref: 'refs/heads/main', before, after: revision });
  const started = performance.now();
  await fetch(`${base}/api/v1/webhooks/git`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` },
  });
  return { revision, started };
}

async function benchCanary(): Promise<void> {
  const prefix = newPrefix('canary');
  const { server, repo, tree } = await exampleFleetRepo();
  const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-bench-'));
  const hub = newHub(prefix, { webhookSecret: WEBHOOK_SECRET, fleetRepo: { url: repo.url, cacheDir, intervalMs: 3_600_000 } });
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 600, maxUses: 2 });
  const canary = await hub.registry.register(bootstrap.token, { cluster: 'eu-fra-2', region: 'eu-central', labels: {} });
  await hub.registry.register(bootstrap.token, { cluster: 'eu-fra-1', region: 'eu-central', labels: {} });
  await hub.start();
  const api = await hub.api();
  const base = await api.listen({ host: '127.0.0.1', port: 0 });
  const sender = new ReportSender(prefix);

  // The lightweight canary agent: long-polls, and reports each new assignment applied.
  const received = new Map<string, number>();
  let stop = false;
  let tag: string | undefined;
  const agent = (async () => {
    while (!stop) {
      const response = await fetch(`${base}/api/v1/assignment?wait=5s`, {
        headers: { authorization: `Bearer ${canary.apiToken}`, ...(tag ? { 'if-none-match': `"${tag}"` } : {}) },
      });
      if (response.status !== 200) continue;
      const assignment = ((await response.json()) as AssignmentResponse).assignment;
      if (!assignment) continue;
      tag = assignment.tag;
      received.set(assignment.revision, performance.now());
      await sender.applied(canary, assignment.revision);
    }
  })();
  const appliedIn = async (revision: string) => {
    for (;;) {
      if ((await hub.fleet.detail('eu-fra-2'))?.revision === revision) return performance.now();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const receivedIn = async (revision: string) => {
    for (;;) {
      const at = received.get(revision);
      if (at !== undefined) return at;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  await appliedIn(await tree.resolve('HEAD'));

  // Baseline: an assignment written straight to the store, to the agent woken.
  const baseline: number[] = [];
  for (let index = 0; index < COMMITS; index++) {
    const revision = randomBytes(20).toString('hex');
    const current = (await hub.rollouts.store.active())!;
    const started = performance.now();
    await hub.redis.hset(hub.keys.assignments(), 'eu-fra-2', JSON.stringify({
      cluster: 'eu-fra-2', revision, rolloutId: current.id, attempt: 100 + index, reason: 'baseline', assignedAt: Date.now(),
    }));
    await hub.redis.publish(hub.keys.assignmentChannel(), 'eu-fra-2');
    baseline.push((await receivedIn(revision)) - started);
  }

  const toAssignment: number[] = [];
  const toApplied: number[] = [];
  for (let index = 0; index < COMMITS; index++) {
    const { revision, started } = await pushWithWebhook(tree, base, `commit ${index}`);
    const [assignedAt, appliedAt] = await Promise.all([receivedIn(revision), appliedIn(revision)]);
    toAssignment.push(assignedAt - started);
    toApplied.push(appliedAt - started);
  }
  stop = true;
  await agent;
  console.log(`\n1. Commit to canary (${COMMITS} commits, controller tick ${hub.options.rolloutIntervalMs} ms)`);
  console.log(`   baseline, assignment written → agent woken:     p50 ${ms(percentile(baseline, 50))}  p95 ${ms(percentile(baseline, 95))}`);
  console.log(`   webhook → canary agent has its assignment:      p50 ${ms(percentile(toAssignment, 50))}  p95 ${ms(percentile(toAssignment, 95))}`);
  console.log(`   webhook → canary applied in the hub's state:    p50 ${ms(percentile(toApplied, 50))}  p95 ${ms(percentile(toApplied, 95))}  (target p50 < 5000 ms)`);
  await sender.close();
  await hub.close();
  await tree.dispose();
  await server.dispose();
  await rm(cacheDir, { recursive: true, force: true });
  await dropKeys(prefix);
}

/**
 * The same commits to a real canary: the agent daemon syncing the example fleet into a
 * Kubernetes API test server, following its assignment with the AssignmentClient and
 * reporting through the Reporter. Times webhook → the agent applied the revision and
 * webhook → applied in the hub's state.
 */
async function benchRealCanary(): Promise<void> {
  const prefix = newPrefix('agent');
  const { server, repo, tree } = await exampleFleetRepo();
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-bench-agent-'));
  const hub = newHub(prefix, { webhookSecret: WEBHOOK_SECRET, heartbeatIntervalMs: 1_000, fleetRepo: { url: repo.url, cacheDir: join(dir, 'hub'), intervalMs: 3_600_000 } });
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 600, maxUses: 2 });
  await saveCredentials(join(dir, 'credentials.json'), await hub.registry.register(bootstrap.token, { cluster: 'eu-fra-2', region: 'eu-central', labels: {} }));
  await hub.registry.register(bootstrap.token, { cluster: 'eu-fra-1', region: 'eu-central', labels: {} });
  await hub.start();
  const api = await hub.api();
  const base = await api.listen({ host: '127.0.0.1', port: 0 });

  const kube = await startCluster();
  const git = new GitSource({ url: repo.url, cacheDir: join(dir, 'git'), logger });
  const daemon = await daemonFor(kube, gitFleetSource(git), { cluster: 'eu-fra-2', interval: 3_600, retryInterval: 1 }, { logger });
  const applied = new Map<string, number>();
  daemon.events.on('synced', (result) => applied.set(result.appliedRevision, performance.now()));
  const reporting = await connectToHub(daemon.events, {
    credentialsFile: join(dir, 'credentials.json'), hubUrl: base, spoolDir: join(dir, 'spool'), agentVersion: 'bench', heartbeatIntervalMs: 1_000, coalesceMs: 20, logger,
  });
  const assignments = new AssignmentClient(daemon, { hubUrl: base, credentialsFile: join(dir, 'credentials.json'), stateFile: join(dir, 'assignment.json'), logger });
  await assignments.start();
  await daemon.start();
  const until = async <T>(read: () => T | undefined | Promise<T | undefined>): Promise<T> => {
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const hubHas = (revision: string) => until(async () => ((await hub.fleet.detail('eu-fra-2'))?.revision === revision ? performance.now() : undefined));
  await hubHas(await tree.resolve('HEAD'));

  const toAgentApplied: number[] = [];
  const toHubApplied: number[] = [];
  for (let index = 0; index < COMMITS; index++) {
    const { revision, started } = await pushWithWebhook(tree, base, `agent commit ${index}`);
    const [agentAt, hubAt] = await Promise.all([until(() => applied.get(revision)), hubHas(revision)]);
    toAgentApplied.push(agentAt - started);
    toHubApplied.push(hubAt - started);
  }
  console.log(`\n1b. Commit to a real canary agent (${COMMITS} commits; the example fleet synced into an API test server)`);
  console.log(`   webhook → the agent applied the revision:       p50 ${ms(percentile(toAgentApplied, 50))}  p95 ${ms(percentile(toAgentApplied, 95))}`);
  console.log(`   webhook → applied in the hub's state:           p50 ${ms(percentile(toHubApplied, 50))}  p95 ${ms(percentile(toHubApplied, 95))}  (target p50 < 5000 ms)`);
  await assignments.close();
  await daemon.stop();
  await reporting.close();
  git.close();
  await kube.stop();
  // The API's close waits for every open connection; the agent's cancelled long poll may leave one.
  const closing = api.close();
  api.server.closeAllConnections();
  await closing;
  await hub.close();
  await tree.dispose();
  await server.dispose();
  await rm(dir, { recursive: true, force: true });
  await dropKeys(prefix);
}

const REGIONS = ['eu', 'us', 'ap', 'sa'];
const fleetPolicy: RolloutPolicy = {
  name: 'regions',
  waves: REGIONS.map((region) => ({ name: region, selector: { regions: [region] }, maxParallel: { kind: 'percent', percent: 25 }, bakeTimeSeconds: 0, deadlineSeconds: undefined })),
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'pause', unselectedClusters: 'lastWave', blackouts: undefined, source: { file: 'bench', document: 'RolloutPolicy/regions' },
};

/** The state machine alone: the same rollout driven in memory, a batch per round as the controller does, every assigned cluster applying at once. */
function reducerBaseline(names: string[]): { ms: number; events: number } {
  const started = performance.now();
  const plan = planRollout(fleetPolicy, names.map((name, index) => ({ name, region: REGIONS[index % 4]!, labels: {} })));
  let rollout: Rollout = createRollout({ id: 'baseline', revision: 'r', previousRevision: null, failurePolicy: 'pause', policy: { name: 'regions', blackouts: undefined }, plan, at: 0 });
  let events = 0;
  for (let at = 1; rollout.phase !== 'done'; at++) {
    const batch: RolloutEvent[] = [];
    for (const [name, cluster] of Object.entries(rollout.clusters)) {
      if (cluster.status !== ClusterStatus.Updating) continue;
      batch.push({ type: 'clusterApplied', cluster: name, revision: 'r', at }, { type: 'clusterReady', cluster: name, revision: 'r', ready: true, at });
    }
    batch.push({ type: 'tick', at });
    events += batch.length;
    rollout = reduceAll(rollout, batch).rollout;
  }
  return { ms: performance.now() - started, events };
}

/** The Redis server's CPU time so far (ms), user and system, from INFO. */
async function redisCpu(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

/** The simulated agents in their own process (bench/rollout-agents.ts); resolves once every cluster's hello is queued. */
async function startAgents(prefix: string, credentials: Credentials[]) {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-bench-agents-'));
  const file = join(dir, 'credentials.json');
  await writeFile(file, JSON.stringify(credentials));
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./rollout-agents.ts', import.meta.url).pathname, REDIS_URL, prefix, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const next = () => new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulated agents exited with ${code}`)));
  });
  if ((await next()) !== 'ready') throw new Error('the simulated agents did not start');
  return {
    /** Stops the agents; returns their CPU time (ms) since they were ready. */
    async stop(): Promise<number> {
      const line = next();
      child.stdin!.end();
      const cpu = Number((await line).split(' ')[1]);
      await rm(dir, { recursive: true, force: true });
      return cpu;
    },
  };
}

async function benchFleet(): Promise<void> {
  const prefix = newPrefix('fleet');
  const hub = newHub(prefix, { rolloutIntervalMs: 200 });
  const bootstrap = await hub.registry.createBootstrapToken({ ttlSeconds: 3600, maxUses: CLUSTERS });
  const credentials: Credentials[] = [];
  for (let index = 0; index < CLUSTERS; index += 50) {
    const batch = Array.from({ length: Math.min(50, CLUSTERS - index) }, (_, offset) => index + offset);
    credentials.push(...await Promise.all(batch.map((n) => hub.registry.register(bootstrap.token, { cluster: `c-${String(n).padStart(5, '0')}`, region: REGIONS[n % 4]!, labels: {} }))));
  }
  // Every cluster says hello once, so the hub sees it online before the rollout.
  const agents = await startAgents(prefix, credentials);
  await hub.start();
  // The bench's own reads: a connection apart from the hub's, without its command timeout.
  const reader = new Redis(REDIS_URL);
  for (;;) {
    const online = Number(await reader.zcard(hub.keys.index('state', 'online')));
    if (online >= CLUSTERS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const revision = randomBytes(20).toString('hex');
  const redisCpuBefore = await redisCpu(reader);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await hub.rollouts.heads.publish({ revision, policy: fleetPolicy, seenAt: Date.now() });
  // The agents apply each assignment as it comes; the rollout's phase tells when all passed.
  while ((await reader.hget(hub.keys.rollout(rolloutIdOf(revision)), 'phase')) !== 'done') {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpuMs = (await redisCpu(reader)) - redisCpuBefore;
  const agentsCpu = await agents.stop();
  const baseline = reducerBaseline(credentials.map((created) => created.cluster));
  const rollout = (await hub.rollouts.store.get(rolloutIdOf(revision)))!;
  const hubCpu = (cpu.user + cpu.system) / 1000;
  console.log(`\n2. Fleet rollout: ${CLUSTERS} clusters, 4 waves of ${CLUSTERS / 4}, 25% at a time, zero bake (controller tick ${hub.options.rolloutIntervalMs} ms)`);
  console.log(`   baseline, state machine alone in memory:  ${ms(baseline.ms)} for ${baseline.events} events`);
  console.log(`   hub with ingest, Redis and controller:     ${ms(elapsed)} total (goal < 30000 ms at 10,000 clusters), ${rollout.version} committed transitions`);
  console.log(`   hub CPU (its own process):                 ${ms(hubCpu)} (${(hubCpu / elapsed * 100).toFixed(0)}% of one core)`);
  console.log(`   simulated agents' CPU (their process):     ${ms(agentsCpu)}`);
  console.log(`   Redis CPU (the whole server: the bench's own only on a Redis of its own, NETFLEET_REDIS_URL): ${ms(redisCpuMs)}`);
  console.log(`   wave durations: ${rollout.waves.map((wave, index) => `${rollout.plan.waves[index]!.name} ${ms(wave.completedAt! - wave.startedAt!)}`).join(', ')}`);
  console.log(`   machine load (1/5/15 min): ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  reader.disconnect();
  await hub.close();
  await dropKeys(prefix);
}

if (PARTS.includes('canary')) await benchCanary();
if (PARTS.includes('agent')) await benchRealCanary();
if (PARTS.includes('fleet')) await benchFleet();
bullRedis.disconnect();
