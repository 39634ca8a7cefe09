/**
 * Acceptance of `netfleet bootstrap` and `netfleet uninstall agent`: two clusters (Kubernetes
 * API test servers) join a real hub (real Redis) from scratch with one command each, report
 * and sync the example fleet from a real git server; a second run changes nothing; --rotate
 * gives a cluster new credentials; uninstall removes the agent, and with --prune-managed what
 * it applied, but not an object protected from pruning.
 *
 * The API test server stores Deployments but runs no pods, so this test plays the kubelet:
 * once bootstrap has applied the agent's Deployment, it starts that Deployment's container as
 * a `netfleet agent` process with the container's own arguments and environment, the Secrets
 * it mounts written to files, and `--in-cluster` swapped for the cluster's kubeconfig (the
 * pod's service account). Stopping the process stands for the pod going away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRUNE_ANNOTATION, parseObjectId, type ClusterDetail, type Credentials, type KubeObject } from '@netfleet/shared';
import { deleteKeysWithPrefix } from '../src/redis.js';
import type { KubeApiServer } from '../src/kube/server.js';
import { Hub } from '../../hub/src/index.js';
import { Inventory } from '../../agent/src/inventory/index.js';
import type { KubeClient } from '../../agent/src/kube/client.js';
import { quietLogger, startFleetRepo, type FleetRepo } from '../../agent/test/fleet.js';
import { clientFor, eventually, startCluster } from '../../agent/test/harness.js';
import { runCli } from '../../cli/test/io.js';
import { SOURCE_BIN } from '../../cli/test/process.js';

const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'bootstrap-e2e-admin-token-0123456789';
const NAMESPACE = 'netfleet-system';
const DEPLOYMENT = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NAMESPACE, name: 'netfleet-agent' };
const HUB_SECRET = { apiVersion: 'v1', kind: 'Secret', namespace: NAMESPACE, name: 'netfleet-hub' };

/** One managed cluster: its API server, kubeconfig file, and the agent "pod" once started. */
interface Cluster {
  name: string;
  region: string;
  kube: KubeApiServer;
  kubectl: KubeClient;
  kubeconfig: string;
  pod?: AgentPod;
}

/** The agent Deployment's container, run as a process the way a kubelet would run it. */
interface AgentPod {
  /** Writes the mounted Secrets' files again from the cluster, as the kubelet does after a Secret changes. */
  remount(): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

async function startAgentPod(cluster: Cluster, dir: string): Promise<AgentPod> {
  const deployment = await eventually(async () => {
    const found = await cluster.kubectl.get(DEPLOYMENT);
    expect(found, 'the agent Deployment').toBeDefined();
    return found as unknown as V1Deployment;
  });
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const mounts = new Map<string, string>();
  const secretFiles: { secret: string; dir: string }[] = [];
  for (const mount of container.volumeMounts ?? []) {
    const local = join(dir, mount.name);
    await mkdir(local, { recursive: true });
    mounts.set(mount.mountPath, local);
    const secretName = pod.volumes?.find((volume) => volume.name === mount.name)?.secret?.secretName;
    if (secretName) secretFiles.push({ secret: secretName, dir: local });
  }
  const remount = async () => {
    for (const { secret, dir: local } of secretFiles) {
      const live = await eventually(async () => {
        const found = await cluster.kubectl.get({ apiVersion: 'v1', kind: 'Secret', namespace: NAMESPACE, name: secret });
        expect(found, `the Secret ${secret}`).toBeDefined();
        return found!;
      });
      for (const [key, value] of Object.entries(live.data as Record<string, string>)) {
        await rm(join(local, key), { force: true });
        await writeFile(join(local, key), Buffer.from(value, 'base64'), { mode: 0o400 });
      }
    }
  };
  await remount();
  const env = Object.fromEntries((container.env ?? []).filter((variable) => variable.value !== undefined).map((variable) => [variable.name, variable.value!]));
  const byLength = [...mounts].sort(([a], [b]) => b.length - a.length);
  const args = container.args!.map((arg) => {
    if (arg === '--in-cluster') return `--kubeconfig=${cluster.kubeconfig}`;
    let local = arg.replace(/\$\((\w+)\)/g, (_, name: string) => env[name] ?? '');
    for (const [mountPath, path] of byLength) local = local.replace(`=${mountPath}`, `=${path}`);
    return local;
  });
  // Each pod has its own network namespace; here the agents share the host's.
  args.push('--listen=127.0.0.1:0');
  const child: ChildProcess = spawn(process.execPath, [SOURCE_BIN, ...args], {
    env: { ...process.env, ...env, POD_NAMESPACE: NAMESPACE }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    remount,
    log: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

describe('netfleet bootstrap: two clusters into a hub from scratch, and uninstall agent', () => {
  const prefix = `{nf-bootstrap-${randomBytes(4).toString('hex')}}`;
  let hub: Hub;
  let hubUrl: string;
  let fleet: FleetRepo;
  let dir: string;
  let tokenFile: string;
  const clusters: Cluster[] = [];

  const bootstrap = (cluster: Cluster, ...extra: string[]) => runCli(
    'bootstrap', '--cluster', cluster.name, '--region', cluster.region, '--kubeconfig', cluster.kubeconfig,
    '--hub-url', hubUrl, '--bootstrap-token-file', tokenFile, '--repo', fleet.repo.url, '--timeout', '300', ...extra,
  );
  const hubGet = async <T>(path: string, token = ADMIN): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${hubUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as T };
  };
  const storedCredentials = async (cluster: Cluster): Promise<{ credentials: Credentials; resourceVersion: string }> => {
    const secret = (await cluster.kubectl.get(HUB_SECRET))!;
    const data = secret.data as Record<string, string>;
    return { credentials: JSON.parse(Buffer.from(data['credentials.json']!, 'base64').toString()) as Credentials, resourceVersion: String(secret.metadata.resourceVersion) };
  };
  const inventoryOf = async (cluster: Cluster): Promise<Inventory> => {
    const configMap = (await cluster.kubectl.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NAMESPACE, name: 'netfleet-inventory' }))!;
    return Inventory.parse((configMap.data as Record<string, string>).entries!);
  };
  const exists = async (cluster: Cluster, path: { apiVersion: string; kind: string; namespace?: string; name: string }) => (await cluster.kubectl.get(path)) !== undefined;
  const liveOf = (id: string, apiVersion: string) => {
    const ref = parseObjectId(id);
    return { apiVersion, kind: ref.kind, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-bootstrap-'));
    fleet = await startFleetRepo();
    for (const [name, region] of [['eu-fra-1', 'eu-central'], ['us-nyc-1', 'us-east']] as const) {
      const kube = await startCluster();
      const kubeconfig = join(dir, `${name}.kubeconfig`);
      await writeFile(kubeconfig, kube.kubeConfig().exportConfig(), { mode: 0o600 });
      clusters.push({ name, region, kube, kubectl: clientFor(kube, 'kubectl'), kubeconfig });
    }
    hub = new Hub({ redisUrl: REDIS_URL, prefix, secret: 'bootstrap-e2e-hub-secret-0123456789abcdef', adminTokens: [ADMIN], logger: quietLogger() });
    const api = await hub.api();
    hubUrl = await api.listen({ host: '127.0.0.1', port: 0 });
    await hub.start();
    // One token for both clusters and no more: a second bootstrap that registered again would be refused.
    const created = await fetch(`${hubUrl}/api/v1/bootstrap-tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttlSeconds: 600, maxUses: 2 }),
    }).then((response) => response.json() as Promise<{ token: string }>);
    tokenFile = join(dir, 'bootstrap-token');
    await writeFile(tokenFile, `${created.token}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    for (const cluster of clusters) await cluster.pod?.stop();
    await hub?.close();
    for (const cluster of clusters) await cluster.kube.stop();
    await fleet?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
    await deleteKeysWithPrefix(REDIS_URL, prefix);
  });

  it('registers each cluster, stores its credentials as a Secret in it, installs the agent and waits for its first report; both sync', async () => {
    const runs = clusters.map((cluster) => bootstrap(cluster));
    // The kubelet's part: run each agent Deployment once bootstrap has applied it.
    for (const cluster of clusters) cluster.pod = await startAgentPod(cluster, join(dir, `${cluster.name}-pod`));
    const results = await Promise.all(runs);
    for (const [index, cluster] of clusters.entries()) {
      const { code, out, err } = results[index]!;
      expect({ code, err }, `${cluster.name}:\n${out}\nagent log:\n${cluster.pod!.log()}`).toEqual({ code: 0, err: '' });
      expect(out).toContain(`registered ${cluster.name} with the hub (key generation 1)`);
      expect(out).toMatch(/^secret\/netfleet-hub created \(credentials stored, values not shown\)$/m);
      expect(out).toMatch(/^deployment\/netfleet-agent created$/m);
      expect(out).toContain(`waiting for the first report of ${cluster.name} to reach the hub`);
      expect(out).toContain(`${cluster.name} reports to the hub`);
      expect(out).toMatch(new RegExp(`^bootstrapped ${cluster.name}$`, 'm'));
      const { credentials } = await storedCredentials(cluster);
      expect(credentials).toMatchObject({ cluster: cluster.name, keyGeneration: 1 });
      for (const secret of [credentials.apiToken, credentials.reportKey]) expect(out).not.toContain(secret);
    }
    for (const cluster of clusters) {
      await eventually(async () => {
        const { body } = await hubGet<ClusterDetail>(`/api/v1/clusters/${cluster.name}`);
        expect(body).toMatchObject({ name: cluster.name, region: cluster.region, state: 'online', sync: { status: 'succeeded' } });
        expect(body.objects).toBeGreaterThan(0);
      });
      expect((await inventoryOf(cluster)).size).toBeGreaterThan(0);
    }
  });

  it('run again, finds the Secret and the registration and changes nothing (the bootstrap token is used up)', async () => {
    for (const cluster of clusters) {
      const before = await storedCredentials(cluster);
      const deploymentVersion = (await cluster.kubectl.get(DEPLOYMENT))!.metadata.resourceVersion;
      const { code, out, err } = await bootstrap(cluster);
      expect({ code, err }, out).toEqual({ code: 0, err: '' });
      expect(out).toContain(`${cluster.name} is registered with the hub; keeping its credentials (Secret ${NAMESPACE}/netfleet-hub, key generation 1)`);
      expect(out).not.toMatch(/ (created|configured)( |$)/m);
      expect(out).toMatch(/^secret\/netfleet-hub unchanged/m);
      expect(out).toContain(`${cluster.name} was bootstrapped already: nothing changed`);
      expect(await storedCredentials(cluster)).toEqual(before);
      expect((await cluster.kubectl.get(DEPLOYMENT))!.metadata.resourceVersion).toBe(deploymentVersion);
    }
  });

  it('--rotate gives the cluster new credentials and updates its Secret; the old ones stop working, the agent reports with the new', async () => {
    const [cluster] = clusters;
    const old = (await storedCredentials(cluster!)).credentials;
    const file = join(dir, 'rotated-credentials.json');
    const { code, out, err } = await bootstrap(cluster!, '--rotate', '--credentials-out', file);
    expect({ code, err }, out).toEqual({ code: 0, err: '' });
    expect(out).toContain(`rotated the credentials of ${cluster!.name} (now key generation 2)`);
    expect(out).toMatch(/^secret\/netfleet-hub configured \(credentials stored, values not shown\)$/m);
    const rotated = (await storedCredentials(cluster!)).credentials;
    expect(rotated.keyGeneration).toBe(2);
    expect(rotated.apiToken).not.toBe(old.apiToken);
    for (const secret of [old.apiToken, old.reportKey, rotated.apiToken, rotated.reportKey]) expect(out).not.toContain(secret);
    // Asked for, the credentials are also on disk, for the owner only.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(rotated);
    expect((await hubGet(`/api/v1/clusters/${cluster!.name}`, old.apiToken)).status).toBe(401);

    const reportsBefore = (await hubGet<ClusterDetail>(`/api/v1/clusters/${cluster!.name}`)).body.reports;
    await cluster!.pod!.remount();
    // The agent's next report (a heartbeat within 30 s) is refused, it reads the mounted credentials again and resends.
    await eventually(async () => {
      const { body } = await hubGet<ClusterDetail>(`/api/v1/clusters/${cluster!.name}`);
      expect(body.keyGeneration).toBe(2);
      expect(body.reports).toBeGreaterThan(reportsBefore);
    });
  });

  it('uninstall agent lists first and deletes only with --yes; what the agent applied stays', async () => {
    const cluster = clusters[1]!;
    // Deleting the Deployment ends the pod: the kubelet's part again.
    const inventory = await inventoryOf(cluster);
    const dry = await runCli('uninstall', 'agent', '--kubeconfig', cluster.kubeconfig);
    expect(dry.code, dry.out + dry.err).toBe(1);
    expect(dry.out).toMatch(/^ {2}delete deployment\/netfleet-system\/netfleet-agent$/m);
    expect(dry.out).toMatch(/^ {2}delete clusterrole\/netfleet-agent$/m);
    expect(dry.out).toContain(`the ${inventory.size} objects the agent applied stay (pass --prune-managed to delete them too)`);
    expect(dry.out).toContain('dry run: nothing deleted');
    expect(await exists(cluster, DEPLOYMENT)).toBe(true);

    await cluster.pod!.stop();
    const { code, out, err } = await runCli('uninstall', 'agent', '--kubeconfig', cluster.kubeconfig, '--yes');
    expect({ code, err }, out).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/^deleted deployment\/netfleet-system\/netfleet-agent$/m);
    expect(out).toMatch(/^uninstalled$/m);
    for (const path of [DEPLOYMENT, HUB_SECRET, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'netfleet-agent' }, { apiVersion: 'v1', kind: 'ServiceAccount', namespace: NAMESPACE, name: 'netfleet-agent' }]) {
      expect(await exists(cluster, path), path.kind).toBe(false);
    }
    await eventually(async () => expect(await exists(cluster, { apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE })).toBe(false));
    for (const entry of inventory.entries()) expect(await exists(cluster, liveOf(entry.id, entry.apiVersion)), entry.id).toBe(true);
  });

  it('uninstall agent --prune-managed also deletes what the agent applied, but keeps what is annotated netfleet.io/prune=disabled', async () => {
    const cluster = clusters[0]!;
    const inventory = await inventoryOf(cluster);
    // One more protected object beside those the example fleet protects (its namespaces): a
    // cluster-scoped one, annotated in the cluster rather than in git.
    const annotated = inventory.entries().find((entry) => parseObjectId(entry.id).namespace === '' && parseObjectId(entry.id).kind !== 'Namespace')!;
    const annotatedPath = liveOf(annotated.id, annotated.apiVersion);
    await cluster.kubectl.apply({ apiVersion: annotatedPath.apiVersion, kind: annotatedPath.kind, metadata: { name: annotatedPath.name, annotations: { [PRUNE_ANNOTATION]: 'disabled' } } } as KubeObject, { force: false });
    const protectedIds = new Set<string>();
    for (const entry of inventory.entries()) {
      const live = await cluster.kubectl.get(liveOf(entry.id, entry.apiVersion));
      if (live?.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') protectedIds.add(entry.id);
    }
    expect(protectedIds).toContain(annotated.id);
    const line = (id: string) => {
      const { kind, namespace, name } = parseObjectId(id);
      return `${kind.toLowerCase()}/${namespace ? `${namespace}/` : ''}${name}`;
    };

    const dry = await runCli('uninstall', 'agent', '--kubeconfig', cluster.kubeconfig, '--prune-managed');
    expect(dry.code, dry.out + dry.err).toBe(1);
    expect(dry.out).toContain(`what the agent applied (inventory ${NAMESPACE}/netfleet-inventory, ${inventory.size} objects):`);
    for (const entry of inventory.entries()) {
      expect(dry.out).toContain(protectedIds.has(entry.id) ? `  keep   ${line(entry.id)}  (kept: annotated ${PRUNE_ANNOTATION}=disabled)\n` : `  delete ${line(entry.id)}\n`);
      expect(await exists(cluster, liveOf(entry.id, entry.apiVersion)), entry.id).toBe(true);
    }

    await cluster.pod!.stop();
    const { code, out, err } = await runCli('uninstall', 'agent', '--kubeconfig', cluster.kubeconfig, '--prune-managed', '--yes');
    expect({ code, err }, out).toEqual({ code: 0, err: '' });
    expect(out).toMatch(/^uninstalled$/m);
    await eventually(async () => {
      for (const entry of inventory.entries()) expect(await exists(cluster, liveOf(entry.id, entry.apiVersion)), entry.id).toBe(protectedIds.has(entry.id));
      expect(await exists(cluster, { apiVersion: 'v1', kind: 'Namespace', name: NAMESPACE })).toBe(false);
    });
    expect(await exists(cluster, DEPLOYMENT)).toBe(false);
  });
});
