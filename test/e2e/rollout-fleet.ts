/**
 * A fleet for the rollout acceptance tests: a small fleet repository on a git server
 * (`git http-backend`), hub replicas on real Redis following it, and one real AgentDaemon
 * per cluster, each syncing into its own Kubernetes API test server with the DKP CRDs,
 * reporting to the hub and following its assignment.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import type { RolloutDetail } from '@netfleet/shared';
import { createWorkTree, deleteKeysWithPrefix, startGitServer, type GitServer, type WorkTree } from '@netfleet/test';
import type { KubeApiServer } from '../src/kube/server.js';
import { Hub, type HubOptions } from '../../hub/src/index.js';
import { RolloutStore } from '../../hub/src/rollout/store.js';
import { HubKeys } from '../../hub/src/redis/keys.js';
import { updatingCount, type Rollout } from '../../hub/src/rollout/machine.js';
import { AssignmentClient } from '../../agent/src/assignment/index.js';
import { connectToHub, register } from '../../agent/src/report/index.js';
import { AgentDaemon } from '../../agent/src/daemon/daemon.js';
import { gitFleetSource } from '../../agent/src/daemon/sources.js';
import { GitSource } from '../../git/src/index.js';
import { AGENT_NAMESPACE, daemonOptions, quietLogger } from '../../agent/test/fleet.js';
import { renderCluster } from '../../agent/src/reconcile/render.js';
import { clientFor, eventually, namespace, startCluster } from '../../agent/test/harness.js';

export { eventually };



export const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN = 'e2e-rollout-admin-token-0123456789';
export const HUB_SECRET = 'e2e-rollout-hub-secret-0123456789abcdef';
export const HEARTBEAT_MS = 400;

/** 12 clusters in 3 regions: eu-1..4, us-1..4, ap-1..4. */
export const CLUSTERS = ['eu', 'us', 'ap'].flatMap((region) => [1, 2, 3, 4].map((n) => ({ name: `${region}-${n}`, region })));

/** The fleet's files: every cluster gets a namespace and a ConfigMap naming the release. */
export function fleetFiles(policy: string, release: string, clusters = CLUSTERS): Record<string, string> {
  return {
    'clusters/fleet.yaml': clusters.map(({ name, region }) => `apiVersion: netfleet.io/v1alpha1
kind: Cluster
metadata:
  name: ${name}
  labels:
    env: prod
spec:
  region: ${region}
  publicDomain: ${name}.example.com
  clusterDomain: ${name}.cluster
`).join('---\n'),
    'platform/manifest-sets.yaml': `apiVersion: netfleet.io/v1alpha1
kind: ManifestSet
metadata:
  name: base
targets:
  all: true
spec:
  path: manifests/base
`,
    'manifests/base/namespace.yaml': `apiVersion: v1
kind: Namespace
metadata:
  name: shop
`,
    'manifests/base/release.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: release
  namespace: shop
data:
  cluster: \${cluster.name}
  release: "${release}"
`,
    'rollout/default.yaml': policy,
  };
}

/** One wave of a test rollout policy, as the RolloutPolicy document spells it. */
export interface TestWave {
  name: string;
  selector: { names?: string[]; regions?: string[]; all?: true };
  maxParallel?: number | string;
  bakeTime?: string;
  deadline?: string;
}

/** A RolloutPolicy document named `default`; an optional blackout window ends at `blackoutUntil` (UTC). */
export function rolloutPolicy(waves: TestWave[], options: { onFailure?: 'pause' | 'rollback'; blackoutUntil?: Date } = {}): string {
  const until = options.blackoutUntil;
  return stringify({
    apiVersion: 'netfleet.io/v1alpha1', kind: 'RolloutPolicy', metadata: { name: 'default' },
    spec: {
      waves, onFailure: options.onFailure ?? 'pause', unselectedClusters: 'lastWave',
      ...(until ? { blackouts: { timeZone: 'UTC', dates: [{ from: localTime(new Date(until.getTime() - 3_600_000)), to: localTime(until) }] } } : {}),
    },
  });
}

/** `YYYY-MM-DDTHH:MM:SS` in UTC. */
const localTime = (date: Date) => date.toISOString().slice(0, 19);

/** The canary wave: eu-1 alone. */
export const canaryWave = (extra: Omit<TestWave, 'name' | 'selector'> = {}): TestWave => ({ name: 'canary', selector: { names: ['eu-1'] }, ...extra });

/** The policy of the first commit, which only brings the fleet to a known revision: every cluster at once. */
const SETUP_POLICY = rolloutPolicy([{ name: 'everyone', selector: { all: true } }]);

/** A ConfigMap the API server refuses (its name is not a DNS subdomain): a commit that fails to apply. */
export const REFUSED_MANIFEST = {
  'manifests/base/refused.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: Not_A_Valid_Name
  namespace: shop
data:
  broken: "yes"
`,
};

/** One cluster's agent: the real daemon, its reporter and its assignment client. */
export class TestAgent {
  /** Every revision a sync of this agent applied, in order. */
  readonly applied: string[] = [];
  /** Every revision a sync of this agent failed on. */
  readonly failed: string[] = [];
  daemon!: AgentDaemon;
  /** Holds the agent's credentials, saved assignment and spool. */
  dir = '';
  #closers: (() => Promise<void> | void)[] = [];

  constructor(readonly name: string, readonly region: string, readonly kube: KubeApiServer, private readonly repoUrl: string) {}

  get running(): boolean {
    return this.#closers.length > 0;
  }

  /** The last revision this agent applied. */
  get revision(): string | undefined {
    return this.daemon.lastResult?.appliedRevision;
  }

  async start(hubUrl: string): Promise<void> {
    const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-rollout-cache-'));
    const git = new GitSource({ url: this.repoUrl, cacheDir, logger: quietLogger() });
    const client = clientFor(this.kube);
    await client.apply(namespace(AGENT_NAMESPACE), { force: false });
    this.daemon = new AgentDaemon({
      // Links are checked every second; no peer endpoints exist here, so nothing is probed.
      options: await daemonOptions('unused', { cluster: this.name, interval: 1, retryInterval: 1, resyncInterval: 300, linkInterval: 1, linkProbes: false }),
      source: gitFleetSource(git), render: renderCluster, client, logger: quietLogger(), serveHttp: false,
    });
    this.daemon.events.on('synced', (result) => {
      if (this.applied.at(-1) !== result.appliedRevision) this.applied.push(result.appliedRevision);
    });
    this.daemon.events.on('sync-failed', (result) => this.failed.push(result.revision));
    const { close: closeReporter } = await connectToHub(this.daemon.events, {
      credentialsFile: join(this.dir, 'credentials.json'), hubUrl, spoolDir: join(this.dir, 'spool'), agentVersion: '0.1.0-e2e',
      heartbeatIntervalMs: HEARTBEAT_MS, coalesceMs: 20, logger: quietLogger(),
    });
    const assignments = new AssignmentClient(this.daemon, {
      hubUrl, credentialsFile: join(this.dir, 'credentials.json'), stateFile: join(this.dir, 'assignment.json'),
      waitSeconds: 20, retryBaseMs: 50, retryMaxMs: 500, logger: quietLogger(),
    });
    await assignments.start();
    await this.daemon.start();
    this.#closers = [() => assignments.close(), () => this.daemon.stop(), closeReporter, () => git.close(), () => rm(cacheDir, { recursive: true, force: true })];
  }

  /** Stops the agent as a pod going away does (the step in progress finishes). */
  async stop(): Promise<void> {
    const closers = this.#closers;
    this.#closers = [];
    for (const close of closers) await close();
  }
}

export interface RolloutFleetOptions {
  /** The RolloutPolicy document. */
  policy: string;
  /** Files every commit carries besides the fleet's own (mesh groups, say). */
  files?: Record<string, string>;
  /** Hub options for every in-process replica. */
  hub?: Partial<HubOptions>;
}

/** The git server, the hub serving the API, the agents, and helpers to read the rollout state. */
export class RolloutFleet {
  readonly prefix = `{nf-e2e-rollout-${randomBytes(4).toString('hex')}}`;
  readonly keys = new HubKeys(this.prefix);
  readonly redis = new Redis(REDIS_URL);
  readonly store = new RolloutStore(this.redis, this.keys);
  readonly agents: TestAgent[] = [];
  readonly hubs: Hub[] = [];
  server!: GitServer;
  tree!: WorkTree;
  repoUrl!: string;
  hubUrl!: string;
  #dirs: string[] = [];
  #release = 0;
  /** Files the last commit added beyond the fleet's own. */
  #extraFiles = new Set<string>();

  constructor(readonly options: RolloutFleetOptions) {}

  /** The fleet repository at its first commit and the agents' clusters, registered but not started. */
  async prepare(): Promise<void> {
    this.server = await startGitServer();
    const repo = await this.server.createRepo('fleet');
    this.repoUrl = repo.url;
    this.tree = await createWorkTree(repo.dir);
    await this.commit({});
    const kubes = await Promise.all(CLUSTERS.map(() => startCluster()));
    CLUSTERS.forEach(({ name, region }, index) => this.agents.push(new TestAgent(name, region, kubes[index]!, repo.url)));
  }

  /** Options of a hub replica following the repository (fast ticks, short lease). */
  async hubOptions(extra: Partial<HubOptions> = {}): Promise<HubOptions> {
    const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-rollout-hub-'));
    this.#dirs.push(cacheDir);
    return {
      redisUrl: REDIS_URL, prefix: this.prefix, secret: HUB_SECRET, adminTokens: [ADMIN], logger: quietLogger(),
      heartbeatIntervalMs: HEARTBEAT_MS, sweepIntervalMs: 100, leaseTtlMs: 2_000, rolloutIntervalMs: 100,
      fleetRepo: { url: this.repoUrl, intervalMs: 200, maxBackoffMs: 1_000, cacheDir },
      ...this.options.hub, ...extra,
    };
  }

  /** An in-process hub replica, not started; the first one serves the API the agents use. */
  async createHub(extra: Partial<HubOptions> = {}): Promise<Hub> {
    const hub = new Hub(await this.hubOptions(extra));
    if (this.hubs.length === 0) {
      const api = await hub.api();
      this.hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    }
    this.hubs.push(hub);
    return hub;
  }

  /** Registers every cluster with the hub (before the hub plans its first rollout). */
  async registerAgents(): Promise<void> {
    for (const agent of this.agents) {
      agent.dir = await mkdtemp(join(tmpdir(), `netfleet-rollout-${agent.name}-`));
      this.#dirs.push(agent.dir);
      const bootstrap = await this.hubs[0]!.registry.createBootstrapToken({ ttlSeconds: 60, maxUses: 1 });
      await register({ hubUrl: this.hubUrl, bootstrapToken: bootstrap.token, cluster: agent.name, region: agent.region, credentialsFile: join(agent.dir, 'credentials.json') });
    }
  }

  /**
   * The usual start: one hub, the clusters registered, the agents running, and the first
   * commit rolled out everywhere (so every cluster has an assignment). Returns that revision.
   */
  async start(): Promise<string> {
    await this.prepare();
    const hub = await this.createHub();
    await this.registerAgents();
    await hub.start();
    await Promise.all(this.agents.map((agent) => agent.start(this.hubUrl)));
    return this.settle();
  }

  /** Waits until the head's rollout is done and every agent applied it. */
  async settle(): Promise<string> {
    const head = await this.tree.resolve('HEAD');
    await this.waitForPhase(head, 'done', 60_000);
    await eventually(() => {
      for (const agent of this.agents) expect(agent.revision, agent.name).toBe(head);
    }, { timeoutMs: 20_000 });
    return head;
  }

  /**
   * Commits the fleet with a new release number plus `extra` files (which last for this
   * commit only), pushes, and returns the sha.
   */
  async commit(extra: Record<string, string>): Promise<string> {
    this.#release += 1;
    const policy = this.#release === 1 ? SETUP_POLICY : this.options.policy;
    const files = { ...fleetFiles(policy, String(this.#release)), ...this.options.files, ...extra };
    const stale = [...this.#extraFiles].filter((file) => !(file in files));
    if (stale.length > 0) await this.tree.remove(...stale);
    this.#extraFiles = new Set(Object.keys(extra));
    await this.tree.write(files);
    const sha = await this.tree.commit(`release ${this.#release}`);
    await this.tree.push({ force: true });
    return sha;
  }

  agent(name: string): TestAgent {
    return this.agents.find((agent) => agent.name === name)!;
  }

  rollout(revision: string): Promise<Rollout | null> {
    return this.store.get(revision.slice(0, 12));
  }

  /** Waits for the rollout of `revision` to reach `phase`. */
  async waitForPhase(revision: string, phase: string, timeoutMs = 30_000): Promise<Rollout> {
    return eventually(async () => {
      const rollout = await this.rollout(revision);
      expect(rollout?.phase).toBe(phase);
      return rollout!;
    }, { timeoutMs, intervalMs: 50 });
  }

  /** The hub API's view of a rollout, as `netfleet rollout status` shows it. */
  async status(revision: string): Promise<RolloutDetail> {
    const response = await fetch(`${this.hubUrl}/api/v1/rollouts/${revision.slice(0, 12)}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as RolloutDetail;
  }

  /** A control through the API; returns the HTTP status. */
  async control(revision: string, action: string, reason?: string): Promise<number> {
    const response = await fetch(`${this.hubUrl}/api/v1/rollouts/${revision.slice(0, 12)}/${action}`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(reason ? { reason } : {}),
    });
    return response.status;
  }

  /**
   * Samples the stored rollout of `revision` every few milliseconds until stopped, checking
   * each sample against `check`; returns how many samples were taken.
   */
  sample(revision: string, check: (rollout: Rollout) => void): { stop(): Promise<number> } {
    let stopped = false;
    let failure: unknown;
    let samples = 0;
    const loop = (async () => {
      while (!stopped) {
        const rollout = await this.rollout(revision);
        if (rollout) {
          samples += 1;
          try {
            check(rollout);
          } catch (error) {
            failure ??= error;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        if (failure) throw failure;
        return samples;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.agents.map((agent) => agent.stop().catch(() => undefined)));
    for (const hub of this.hubs) await hub.close();
    await Promise.all(this.agents.map((agent) => agent.kube.stop()));
    await this.tree?.dispose();
    await this.server?.dispose();
    for (const dir of this.#dirs) await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, this.prefix);
    this.redis.disconnect();
  }
}

/** Checks that no wave ever updates more clusters at once than it allows. */
export function withinMaxParallel(rollout: Rollout): void {
  const wave = rollout.plan.waves[rollout.wave];
  if (wave) expect(updatingCount(rollout), `wave ${wave.name}`).toBeLessThanOrEqual(wave.maxParallel);
}

/** canary (eu-1) → eu, 2 at a time → us, 2 at a time → the rest; 1 s bakes; pause on failure; an optional blackout window ending at `blackoutUntil`. */
export function wavePolicy(options: { deadline?: string; blackoutUntil?: Date } = {}): string {
  const deadline = options.deadline ?? '60s';
  return rolloutPolicy([
    canaryWave({ deadline }),
    { name: 'region-1', selector: { regions: ['eu'] }, maxParallel: 2, bakeTime: '1s', deadline },
    { name: 'region-2', selector: { regions: ['us'] }, maxParallel: 2, bakeTime: '1s', deadline },
    { name: 'rest', selector: { all: true }, maxParallel: 2, deadline },
  ], options);
}
