import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createLogger } from '@netfleet/shared';
import { createWorkTree, startGitServer, type GitServer, type GitServerRepo, type WorkTree } from '@netfleet/test';
import type { KubeApiServer } from '@netfleet/test/kube/server';
import { AgentDaemon, type AgentDaemonParts } from '../src/daemon/daemon.js';
import { resolveAgentOptions, type AgentOptions } from '../src/daemon/options.js';
import { gitFleetSource, type PolledSource } from '../src/daemon/sources.js';
import { InventoryStore } from '../src/inventory/index.js';
import type { KubeClient } from '../src/kube/client.js';
import { Reconciler, defaultReconcileOptions, type ReconcileOptions } from '../src/reconcile/reconcile.js';
import { renderCluster } from '../src/reconcile/render.js';
import { AppliedMemo } from '../src/ssa/memo.js';
import { GitSource, type VerificationOptions } from '@netfleet/git';
import { clientFor, namespace } from './harness.js';

export const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
/** The example cluster the acceptance tests sync: prod, core tier, cloud. */
export const CLUSTER = 'eu-fra-1';
export const AGENT_NAMESPACE = 'netfleet-system';

/** The example fleet in a git repository served over smart HTTP, with a work tree to commit to. */
export interface FleetRepo {
  server: GitServer;
  repo: GitServerRepo;
  tree: WorkTree;
  /** Commits everything written since the last commit, pushes, and returns the sha. */
  publish(message: string, options?: Parameters<WorkTree['commit']>[1]): Promise<string>;
  /** A fresh git source over the repository (its own cache dir, as after a restart when `cacheDir` is reused). */
  source(options?: { verification?: VerificationOptions; cacheDir?: string }): Promise<PolledSource>;
  dispose(): Promise<void>;
}

export async function startFleetRepo(): Promise<FleetRepo> {
  const server = await startGitServer();
  const repo = await server.createRepo('fleet');
  const tree = await createWorkTree(repo.dir);
  const files: Record<string, string> = {};
  for (const file of await listFiles(EXAMPLE_FLEET)) files[relative(EXAMPLE_FLEET, file)] = await readFile(file, 'utf8');
  await tree.write(files);
  const cleanup: (() => Promise<void> | void)[] = [];
  const publish = async (message: string, options?: Parameters<WorkTree['commit']>[1]) => {
    const sha = await tree.commit(message, options);
    await tree.push({ force: true });
    return sha;
  };
  await publish('example fleet');
  return {
    server, repo, tree, publish,
    async source(options = {}) {
      const cacheDir = options.cacheDir ?? await mkdtemp(join(tmpdir(), 'netfleet-agent-cache-'));
      const git = new GitSource({ url: repo.url, cacheDir, logger: quietLogger(), ...(options.verification ? { verification: options.verification } : {}) });
      cleanup.push(() => git.close(), () => rm(cacheDir, { recursive: true, force: true }));
      return gitFleetSource(git);
    },
    async dispose() {
      for (const step of cleanup) await step();
      await tree.dispose();
      await server.dispose();
    },
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

export function quietLogger() {
  return createLogger({ name: 'agent-test', level: process.env.NETFLEET_TEST_LOG ?? 'silent' });
}

/** A reconciler for the example cluster against the API test server, as the daemon builds it. */
export async function reconcilerFor(kube: KubeApiServer, source: PolledSource, options: Partial<ReconcileOptions> = {}, client: KubeClient = clientFor(kube)) {
  await client.apply(namespace(AGENT_NAMESPACE), { force: false });
  const memo = new AppliedMemo();
  const inventory = new InventoryStore(client, { namespace: AGENT_NAMESPACE, cluster: CLUSTER });
  const reconciler = new Reconciler({
    cluster: CLUSTER, namespace: AGENT_NAMESPACE, client, source, render: renderCluster, inventory, memo, logger: quietLogger(),
    options: defaultReconcileOptions(options),
  });
  return { reconciler, client, memo, inventory };
}

/** Daemon options for tests: fast retries, no HTTP listener unless asked. */
export async function daemonOptions(repo: string, overrides: Partial<AgentOptions> = {}): Promise<AgentOptions> {
  return { ...await resolveAgentOptions({ flags: { repo, cluster: CLUSTER, namespace: AGENT_NAMESPACE, listen: '127.0.0.1:0' }, env: {} }), ...overrides };
}

/** A daemon for the example cluster on the API test server. */
export async function daemonFor(kube: KubeApiServer, source: PolledSource, overrides: Partial<AgentOptions> = {}, parts: Partial<AgentDaemonParts> = {}): Promise<AgentDaemon> {
  const client = parts.client ?? clientFor(kube);
  await client.apply(namespace(AGENT_NAMESPACE), { force: false });
  return new AgentDaemon({
    options: await daemonOptions('unused', overrides), source, render: renderCluster, client, logger: quietLogger(), serveHttp: false, ...parts,
  });
}
