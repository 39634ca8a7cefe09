import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  FsRepoReader, createLogger, loadFleet,
  type Alert, type ClusterInfo, type Fleet, type KubeObject, type Logger,
} from '@netfleet/shared';
import { startRedis, type PrivateRedis } from '../redis.js';
import { startGitServer, type GitServer, type GitServerRepo } from '../git-server.js';
import { createWorkTree, type WorkTree } from '../git-repo.js';
import { startKubeApiServer, type KubeApiServer } from '../kube/server.js';
import { createTestCa, startMetadataPeer, type MetadataPeer } from '../metadata-peer.js';
import { Hub } from '../../../hub/src/index.js';
import { AgentDaemon } from '../../../agent/src/daemon/daemon.js';
import { resolveAgentOptions } from '../../../agent/src/daemon/options.js';
import { gitFleetSource } from '../../../agent/src/daemon/sources.js';
import { KubeClient } from '../../../agent/src/kube/client.js';
import { renderCluster } from '../../../agent/src/reconcile/render.js';
import type { SyncResult } from '../../../agent/src/reconcile/result.js';
import { GitSource } from '../../../git/src/index.js';
import { connectToHub, register } from '../../../agent/src/report/index.js';
import { AssignmentClient } from '../../../agent/src/assignment/index.js';
import { MetadataProber } from '../../../agent/src/links/probe.js';

/**
 * A simulated fleet built from harness parts: a private Redis, the example fleet committed
 * to a git repository served over smart HTTP, one Kubernetes API test server (DKP CRDs
 * installed), one Istio metadata endpoint and one agent daemon per cluster, and the hub
 * that follows the repository, takes the agents' registrations and reports (over its API:
 * only the hub has the Redis password), and assigns them revisions as rollouts go.
 */

export const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', '..', 'examples', 'fleet');
export const AGENT_NAMESPACE = 'netfleet-system';
const AGENT_VERSION = '0.1.0-demo';

export interface SimulatedFleetOptions {
  /** Clusters of the example fleet that get an API server and an agent. @defaultValue every cluster */
  clusters?: readonly string[];
  /** Where the parts write their warnings (JSON logs). @defaultValue process.stderr */
  logDestination?: NodeJS.WritableStream;
  /** Agents' heartbeat interval; the hub marks a cluster offline after two. @defaultValue 5000 */
  heartbeatIntervalMs?: number;
  /** Replaces the repository's `rollout/default.yaml`. @defaultValue the example's policy */
  rolloutPolicy?: string;
  /** Stops starting clusters (what started is stopped). */
  signal?: AbortSignal;
}

/** One simulated cluster: its API server and the agent syncing it. */
export interface SimulatedCluster {
  info: ClusterInfo;
  kube: KubeApiServer;
  /** A client as netfleet's own field manager (reads, status writes). */
  client: KubeClient;
  daemon: AgentDaemon;
  /** Every sync result the agent emitted, oldest first. */
  syncs: SyncResult[];
}

/** An alert notification the hub's webhook sink delivered. */
export interface ReceivedAlert {
  receivedAt: number;
  alert: Alert;
}

export interface SimulatedFleet {
  fleet: Fleet;
  clusters: Map<string, SimulatedCluster>;
  hub: Hub;
  hubUrl: string;
  adminToken: string;
  /** A read-only hub token, for the dashboard (`pnpm demo:fleet --ui`). */
  readToken: string;
  repo: GitServerRepo;
  tree: WorkTree;
  /** Every alert notification received by the hub's webhook sink, oldest first. */
  alerts: ReceivedAlert[];
  /** Commits the work tree and pushes it; returns the commit sha. */
  publish(message: string): Promise<string>;
  /** Stops every part, newest first, and removes the temp dirs. */
  close(): Promise<void>;
}

/** One step of stopping what was started. */
type Cleanup = () => Promise<unknown> | unknown;

/** Runs cleanup steps newest first; a failing step does not stop the others. */
async function runCleanup(steps: Cleanup[]): Promise<void> {
  for (const step of steps.splice(0).reverse()) {
    await Promise.resolve().then(step).catch(() => undefined);
  }
}

/** Starts the whole simulated fleet; on a failure everything started so far is stopped. */
export async function startSimulatedFleet(options: SimulatedFleetOptions = {}): Promise<SimulatedFleet> {
  const cleanup: Cleanup[] = [];
  const logs = new MutableStream(options.logDestination ?? process.stderr);
  // Ctrl-C reaches Redis too: what follows is the fleet losing its parts, not news.
  options.signal?.addEventListener('abort', () => {
    logs.muted = true;
  }, { once: true });
  const close = async () => {
    // Parts losing one another while stopping (Redis gone before the hub) is expected too.
    logs.muted = true;
    await runCleanup(cleanup);
  };
  try {
    return await start(options, logs, cleanup, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function start(
  options: SimulatedFleetOptions, logs: NodeJS.WritableStream, cleanup: Cleanup[], close: () => Promise<void>,
): Promise<SimulatedFleet> {
  const logger = createLogger({ name: 'demo', level: 'warn', destination: logs });
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
  const fleet = await loadFleet(new FsRepoReader(EXAMPLE_FLEET));
  const names = options.clusters ?? [...fleet.clusters.keys()].sort();
  for (const name of names) {
    if (!fleet.clusters.has(name)) throw new Error(`cluster ${name} is not in the example fleet (${[...fleet.clusters.keys()].join(', ')})`);
  }

  const dir = await mkdtemp(join(tmpdir(), 'netfleet-demo-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));

  // As deployed: Redis asks for a password only the hub has; agents report through the hub API.
  const redisPassword = randomBytes(16).toString('hex');
  const redis: PrivateRedis = await startRedis({ args: ['--requirepass', redisPassword] });
  cleanup.push(() => redis.dispose());

  const git: GitServer = await startGitServer();
  cleanup.push(() => git.dispose());
  const repo = await git.createRepo('fleet');
  const tree = await createWorkTree(repo.dir);
  cleanup.push(() => tree.dispose());
  await tree.write({ ...await readTree(EXAMPLE_FLEET), ...(options.rolloutPolicy ? { 'rollout/default.yaml': options.rolloutPolicy } : {}) });
  const publish = async (message: string) => {
    const sha = await tree.commit(message);
    await tree.push();
    return sha;
  };
  await publish('example fleet');

  const ca = await createTestCa('netfleet demo CA');
  const peers: MetadataPeer[] = [];
  // Every cluster of the fleet serves its metadata, so links to clusters left out of a smaller fleet still work.
  for (const [index, name] of [...fleet.clusters.keys()].sort().entries()) {
    const peer = await startMetadataPeer({ ca, domain: fleet.clusters.get(name)!.publicDomain, address: `127.0.0.${90 + index}`, clusterUUID: `uuid-${name}` });
    cleanup.push(() => peer.stop());
    peers.push(peer);
  }
  const prober = () => new MetadataProber({
    caBundle: ca.cert, timeoutMs: 5_000, connectTo: new Map(peers.map((peer) => [peer.hostname, { address: peer.address, port: peer.port }])),
  });

  const alerts: ReceivedAlert[] = [];
  const receiver = await startAlertReceiver(alerts);
  cleanup.push(() => new Promise((resolve) => receiver.close(resolve)));

  const adminToken = randomBytes(24).toString('hex');
  const readToken = randomBytes(24).toString('hex');
  const hub = new Hub({
    redisUrl: redis.url, redisPassword, secret: randomBytes(32).toString('hex'), adminTokens: [adminToken], readTokens: [readToken], logger: logger.child({ part: 'hub' }),
    heartbeatIntervalMs, sweepIntervalMs: 500, leaseTtlMs: 5_000, deliveryBackoffMs: 100, rolloutIntervalMs: 200,
    fleetRepo: { url: repo.url, intervalMs: 1_000, cacheDir: join(dir, 'hub-repo') },
    // Agents check their links every 2 s: a finding lasting 3 s is no passing one.
    links: { raiseAfterMs: 3_000, resolveAfterMs: 3_000 },
    sinks: [{ type: 'webhook', name: 'demo-receiver', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/alerts` }],
  });
  cleanup.push(() => hub.close(3_000));
  const api = await hub.api();
  const hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });

  // Every cluster registers before the hub starts, so the first rollout plans the whole fleet.
  const bootstrap = await adminRequest<{ token: string }>(hubUrl, adminToken, '/api/v1/bootstrap-tokens', { ttlSeconds: 600, maxUses: names.length });
  for (const name of names) {
    const info = fleet.clusters.get(name)!;
    await mkdir(join(dir, name), { recursive: true });
    await register({ hubUrl, bootstrapToken: bootstrap.token, cluster: name, region: info.region, labels: info.labels, credentialsFile: join(dir, name, 'credentials.json') });
  }
  await hub.start();

  const clusters = new Map<string, SimulatedCluster>();
  // Clusters stop side by side (each waits for its own agent), start one after the other:
  // installing the CRDs is CPU-bound, and an agent started early syncs while the next installs.
  const clusterCleanups: Cleanup[][] = [];
  cleanup.push(() => Promise.all(clusterCleanups.map(runCleanup)));
  for (const name of names) {
    if (options.signal?.aborted) throw new Error('interrupted');
    const steps: Cleanup[] = [];
    clusterCleanups.push(steps);
    const cluster = await startCluster(fleet.clusters.get(name)!, {
      dir: join(dir, name), repo, hubUrl, heartbeatIntervalMs, logger, prober: prober(),
    }, steps);
    clusters.set(name, cluster);
  }

  return { fleet, clusters, hub, hubUrl, adminToken, readToken, repo, tree, alerts, publish, close };
}

interface ClusterParts {
  dir: string;
  repo: GitServerRepo;
  hubUrl: string;
  heartbeatIntervalMs: number;
  logger: Logger;
  prober: MetadataProber;
}

async function startCluster(info: ClusterInfo, parts: ClusterParts, cleanup: Cleanup[]): Promise<SimulatedCluster> {
  const logger = parts.logger.child({ cluster: info.name });
  const kube = await startKubeApiServer();
  cleanup.push(() => kube.stop());
  await kube.installDkpCrds();
  const client = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { baseDelayMs: 50, maxDelayMs: 1_000 } });
  await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE } } as KubeObject, { force: false });

  const credentialsFile = join(parts.dir, 'credentials.json');

  const git = new GitSource({ url: parts.repo.url, cacheDir: join(parts.dir, 'git'), logger });
  cleanup.push(() => git.close());
  const agentOptions = await resolveAgentOptions({
    flags: {
      repo: parts.repo.url, cluster: info.name, namespace: AGENT_NAMESPACE, cacheDir: join(parts.dir, 'git'),
      listen: '127.0.0.1:0', interval: 5, retryInterval: 1, linkInterval: 2,
    },
    env: {},
  });
  const daemon = new AgentDaemon({
    options: agentOptions, source: gitFleetSource(git), render: renderCluster, client, logger, serveHttp: false, linkProber: parts.prober,
  });
  const syncs: SyncResult[] = [];
  daemon.events.on('synced', (result) => syncs.push(result));
  daemon.events.on('sync-failed', (result) => syncs.push(result));

  const connection = await connectToHub(daemon.events, {
    credentialsFile, hubUrl: parts.hubUrl, spoolDir: join(parts.dir, 'spool'), agentVersion: AGENT_VERSION,
    heartbeatIntervalMs: parts.heartbeatIntervalMs,
    // Sent as they happen: a drift that is corrected at once still reaches the hub.
    coalesceMs: 0,
    logger,
  });
  cleanup.push(() => connection.close());
  const assignments = new AssignmentClient(daemon, {
    hubUrl: parts.hubUrl, credentialsFile, stateFile: join(parts.dir, 'assignment.json'), waitSeconds: 20, retryBaseMs: 100, retryMaxMs: 1_000, logger,
  });
  await assignments.start();
  let daemonStarted = false;
  // The assignment long-poll stops first, so no assignment wakes a stopping daemon.
  cleanup.push(async () => {
    await assignments.close();
    if (daemonStarted) await daemon.stop();
  });
  await daemon.start();
  daemonStarted = true;
  return { info, kube, client, daemon, syncs };
}

/** Passes writes on to `target` until muted. */
class MutableStream extends Writable {
  muted = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.muted) callback();
    else this.target.write(chunk, () => callback());
  }
}

/** An HTTP endpoint standing in for an alert webhook (a pager, a chat bridge). */
async function startAlertReceiver(received: ReceivedAlert[]): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        received.push({ receivedAt: Date.now(), alert: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alert: Alert }).alert });
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A POST to the hub API with the admin token. */
export async function adminRequest<T>(hubUrl: string, token: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(new URL(path, hubUrl), {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`hub answered ${response.status} to POST ${path}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** A GET from the hub API with the admin token. */
export async function hubGet<T>(fleet: Pick<SimulatedFleet, 'hubUrl' | 'adminToken'>, path: string): Promise<T> {
  const response = await fetch(new URL(path, fleet.hubUrl), { headers: { authorization: `Bearer ${fleet.adminToken}` } });
  if (!response.ok) throw new Error(`hub answered ${response.status} to GET ${path}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Every file under `root`, keyed by its path relative to it. */
async function readTree(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  const files: Record<string, string> = {};
  for (const entry of entries.filter((found) => found.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path)] = await readFile(path, 'utf8');
  }
  return files;
}
