/**
 * `netfleet install agent`: the exported manifests, the kustomize base in deploy/agent that
 * must build the same objects, and the apply to a cluster (the API test server).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { DEFAULT_ADMIN_TOKEN, eventually, startKubeApiServer, type KubeApiServer } from '@netfleet/test';
import { runCli } from './io.js';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/** The inputs the kustomize base's placeholders stand for. */
export const PLACEHOLDER_ARGS = [
  'install', 'agent', '--cluster', 'eu-fra-1', '--repo', 'https://git.example.com/platform/fleet.git',
  '--hub-url', 'https://hub.example.com', '--git-token-file', 'git-token', '--manifest-kinds', 'configmaps',
];

interface Manifest { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }

const byIdentity = (objects: Manifest[]) => [...objects].sort((a, b) =>
  `${a.kind}/${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`));

async function exported(...extra: string[]): Promise<Manifest[]> {
  const { code, out, err } = await runCli(...PLACEHOLDER_ARGS, '--export', '-o', 'json', ...extra);
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return (JSON.parse(out) as { items: Manifest[] }).items;
}

/** kubectl builds the kustomize bases; CI has it (.ci/run), elsewhere those comparisons are skipped, saying so. */
const KUBECTL = spawnSync('sh', ['-c', 'command -v kubectl']).status === 0;
const KUBECTL_SKIP = KUBECTL ? '' : ' (skipped: kubectl is not installed)';

describe('netfleet install agent --export', () => {
  it.skipIf(!KUBECTL)(`prints the objects the kustomize base deploy/agent builds, for the same inputs${KUBECTL_SKIP}`, async () => {
    const { stdout } = await run('kubectl', ['kustomize', join(ROOT, 'deploy', 'agent')]);
    const built = parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
    expect(byIdentity(await exported())).toEqual(byIdentity(built));
  });

  it.skipIf(!KUBECTL)(`prints the objects the example overlay builds, for the overlay's inputs${KUBECTL_SKIP}`, async () => {
    const { stdout } = await run('kubectl', ['kustomize', join(ROOT, 'deploy', 'overlays', 'agent-example')]);
    const built = parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
    const { code, out } = await runCli('install', 'agent', '--cluster', 'us-east-1', '--repo', 'https://git.corp.example/net/fleet.git',
      '--hub-url', 'https://hub.example.com', '--git-token-file', 'git-token', '--manifest-kinds', 'configmaps',
      '--image', 'registry.corp.example/netfleet:0.1.0', '--export', '-o', 'json');
    expect(code).toBe(0);
    expect(byIdentity((JSON.parse(out) as { items: Manifest[] }).items)).toEqual(byIdentity(built));
  });

  it('prints YAML for kubectl apply with the same objects, the Secrets only as comments with how to create them', async () => {
    const { code, out } = await runCli(...PLACEHOLDER_ARGS, '--export');
    expect(code).toBe(0);
    const documents = parseAllDocuments(out).map((document) => document.toJS() as Manifest);
    expect(documents).toEqual(await exported());
    expect(documents.map((object) => object.kind)).not.toContain('Secret');
    expect(out).toContain('# Create these Secrets yourself');
    expect(out).toContain('kubectl -n netfleet-system create secret generic netfleet-git --from-file=token=./git-token');
    expect(out).toContain('kubectl -n netfleet-system create secret generic netfleet-hub --from-file=credentials.json');
    expect(out).toMatch(/# No PodDisruptionBudget: the agent runs one replica/);
  });

  it('builds a restricted Deployment with probes on the listen port and resources', async () => {
    const deployment = (await exported('--namespace', 'fleet-agent', '--image', 'registry.example.com/netfleet:1.2.3'))
      .find((object) => object.kind === 'Deployment') as unknown as {
      metadata: { namespace: string };
      spec: { replicas: number; template: { spec: { securityContext: object; containers: Record<string, unknown>[] } } };
    };
    const [container] = deployment.spec.template.spec.containers;
    expect(deployment.metadata.namespace).toBe('fleet-agent');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container).toMatchObject({
      image: 'registry.example.com/netfleet:1.2.3',
      ports: [{ name: 'http', containerPort: 8080 }],
      livenessProbe: { httpGet: { path: '/healthz', port: 'http' } },
      readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
      resources: { requests: { cpu: expect.any(String) as string, memory: expect.any(String) as string }, limits: { memory: expect.any(String) as string } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
    });
  });

  it('mounts an SSH deploy key and known_hosts instead of a token with --ssh-key-file', async () => {
    const { code, out } = await runCli('install', 'agent', '--cluster', 'c1', '--repo', 'ssh://git@git.example.com/fleet.git', '--ssh-key-file', 'key', '--export', '-o', 'json');
    expect(code).toBe(0);
    const deployment = (JSON.parse(out) as { items: { kind: string; spec?: { template: { spec: { containers: { args: string[] }[] } } } }[] }).items
      .find((object) => object.kind === 'Deployment')!;
    const { args } = deployment.spec!.template.spec.containers[0]!;
    expect(args).toEqual(expect.arrayContaining(['--git-ssh-key-file=/etc/netfleet/git/ssh-key', '--git-ssh-known-hosts-file=/etc/netfleet/git/known_hosts']));
    expect(args.join(' ')).not.toMatch(/--git-token-file|--hub-url/);
  });

  it('grants the kinds of a local fleet\'s plain manifests (--fleet-dir), beyond the rendered kinds', async () => {
    const items = await exported('--fleet-dir', join(ROOT, 'examples', 'fleet'));
    const manifestRole = items.find((object) => object.metadata.name === 'netfleet-agent-manifests' && object.kind === 'ClusterRole') as unknown as { rules: { apiGroups: string[]; resources: string[] }[] };
    expect(manifestRole.rules.map((rule) => `${rule.apiGroups.join()}:${rule.resources.join()}`)).toEqual([':configmaps']);
    // A local directory given as --repo is read the same way.
    const { out } = await runCli('install', 'agent', '--cluster', 'c', '--repo', join(ROOT, 'examples', 'fleet'), '--export', '-o', 'json');
    expect((JSON.parse(out) as { items: Manifest[] }).items.find((object) => object.metadata.name === 'netfleet-agent-manifests' && object.kind === 'ClusterRole')).toEqual(manifestRole);
  });

  it('refuses two git credentials at once, and an unknown component, with exit code 2', async () => {
    const both = await runCli('install', 'agent', '--cluster', 'c1', '--repo', 'https://x/y.git', '--git-token-file', 't', '--ssh-key-file', 'k', '--export');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--git-token-file and --ssh-key-file exclude each other/);
    const unknown = await runCli('install', 'database', '--cluster', 'c1', '--repo', 'https://x/y.git', '--export');
    expect(unknown.code).toBe(2);
  });
});

describe('the generated manifests against the Kubernetes API test server', () => {
  let kube: KubeApiServer;
  let dir: string;
  let kubeconfig: string;
  let admin: KubeClient;

  beforeAll(async () => {
    kube = await startKubeApiServer();
    dir = await mkdtemp(join(tmpdir(), 'netfleet-install-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeConfig().exportConfig(), { mode: 0o600 });
    admin = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 0 } });
  }, 60_000);

  afterAll(async () => {
    await kube?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * What the deployment controller writes once the agent's pod runs (the API test server runs
   * no controllers): the Deployment's status, through its status subresource, with `fields`.
   */
  async function deploymentStatus(namespace: string, fields: Record<string, unknown> = { replicas: 1, updatedReplicas: 1, availableReplicas: 1 }): Promise<void> {
    const live = await eventually(async () => {
      const found = await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'netfleet-agent' });
      expect(found).toBeDefined();
      return found!;
    });
    const response = await fetch(`${kube.url}/apis/apps/v1/namespaces/${namespace}/deployments/netfleet-agent/status?fieldManager=kube-controller-manager`, {
      method: 'PATCH', body: JSON.stringify({ status: { observedGeneration: live.metadata.generation, ...fields } }),
      headers: { authorization: `Bearer ${DEFAULT_ADMIN_TOKEN}`, 'content-type': 'application/merge-patch+json' },
    });
    expect(response.status).toBe(200);
  }

  // kube-apiserver refuses a namespaced object whose namespace does not exist, dry-run or not:
  // the agent's namespace is created for real first, everything else only dry-run.
  it('passes a server-side dry-run with strict field validation, every object of every variant', async () => {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-system' } }, { force: false });
    const variants = [
      await exported(),
      await exported('--fleet-dir', join(ROOT, 'examples', 'fleet')),
      (JSON.parse((await runCli('install', 'agent', '--cluster', 'c1', '--repo', 'ssh://git@git.example.com/fleet.git', '--ssh-key-file', 'k', '--export', '-o', 'json')).out) as { items: Manifest[] }).items,
    ];
    for (const objects of variants) {
      for (const object of objects) {
        await expect(admin.apply(object as Parameters<KubeClient['apply']>[0], { force: false, dryRun: true }), `${object.kind}/${object.metadata.name}`).resolves.toMatchObject({ kind: object.kind });
      }
    }
    expect(await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'netfleet-system', name: 'netfleet-agent' })).toBeUndefined();
  });

  it('passes the same dry-run for the hub\'s manifests, with its Redis or an external one', async () => {
    await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-hub' } }, { force: false });
    for (const extra of [[], ['--redis-url', 'rediss://redis.example.com:6380/0']]) {
      const { code, out } = await runCli('install', 'hub', '--export', '-o', 'json', ...extra);
      expect(code).toBe(0);
      for (const object of (JSON.parse(out) as { items: Manifest[] }).items) {
        await expect(admin.apply(object as Parameters<KubeClient['apply']>[0], { force: false, dryRun: true }), `${object.kind}/${object.metadata.name}`).resolves.toMatchObject({ kind: object.kind });
      }
    }
  });

  it('is checked for real: a misspelt field or a binding to a Role from a ClusterRoleBinding is refused', async () => {
    const items = await exported();
    const deployment = structuredClone(items.find((object) => object.kind === 'Deployment')!) as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
    deployment.spec.template.spec.containers[0]!.readinesProbe = {};
    await expect(admin.apply(deployment as unknown as Parameters<KubeClient['apply']>[0], { force: false, dryRun: true })).rejects.toThrow(/readinesProbe/);
    const binding = structuredClone(items.find((object) => object.kind === 'ClusterRoleBinding')!) as unknown as { roleRef: { kind: string } };
    binding.roleRef.kind = 'Role';
    await expect(admin.apply(binding as unknown as Parameters<KubeClient['apply']>[0], { force: false, dryRun: true })).rejects.toThrow(/roleRef.kind/);
  });

  it('without --export applies every object server-side, the Secrets from the given files, and changes nothing the second time', async () => {
    const token = join(dir, 'git-token');
    await writeFile(token, 's3cret-token\n', { mode: 0o600 });
    const args = ['install', 'agent', '--cluster', 'eu-fra-1', '--repo', 'https://git.example.com/fleet.git', '--git-token-file', token,
      '--namespace', 'agent-ns', '--kubeconfig', kubeconfig];
    const [first] = await Promise.all([runCli(...args), deploymentStatus('agent-ns')]);
    expect(first).toMatchObject({ code: 0, err: '' });
    expect(first.out).toMatch(/^namespace\/agent-ns created$/m);
    expect(first.out).toMatch(/^secret\/netfleet-git created \(values not shown\)$/m);
    expect(first.out).toMatch(/^deployment\/netfleet-agent created$/m);
    expect(first.out).toMatch(/^waiting for deployment\/netfleet-agent to roll out/m);
    expect(first.out).toMatch(/deployment\/netfleet-agent rolled out: the agent is running\n$/);
    expect(first.out + first.err).not.toContain('s3cret-token');
    const live = await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'agent-ns', name: 'netfleet-agent' });
    // Beside the status the deployment controller wrote (an Update through the subresource).
    expect((live?.metadata.managedFields as { manager: string; operation: string }[] | undefined)?.filter((entry) => entry.operation === 'Apply')
      .map((entry) => entry.manager)).toEqual(['netfleet-install']);
    const secret = await admin.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'agent-ns', name: 'netfleet-git' }) as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data.token!, 'base64').toString()).toBe('s3cret-token\n');
    const second = await runCli(...args);
    expect(second.code).toBe(0);
    expect(second.out).not.toMatch(/ (created|configured)/);
    expect(second.out).toMatch(/^deployment\/netfleet-agent unchanged$/m);
  });

  it('waits for the agent\'s Deployment to roll out as kubectl rollout status does, and says where to look when it does not', async () => {
    const args = ['install', 'agent', '--cluster', 'c5', '--repo', 'https://git.example.com/fleet.git', '--kubeconfig', kubeconfig];
    // No controller answers: the wait ends at --timeout, naming what it waited for.
    const late = await runCli(...args, '--namespace', 'agent-late', '--timeout', '1');
    expect(late.code).toBe(2);
    expect(late.err).toMatch(/deployment\/netfleet-agent has not rolled out within 1 s \(the deployment controller to see the new spec\)/);
    expect(late.err).toContain('kubectl -n agent-late describe deployment/netfleet-agent');
    // The controller gives up on the pod: the progress deadline ends the wait at once.
    await deploymentStatus('agent-late', { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    const stuck = await runCli(...args, '--namespace', 'agent-late');
    expect(stuck.code).toBe(2);
    expect(stuck.err).toContain('did not roll out: the Deployment exceeded its progress deadline');
    // --no-wait: applied, then the command to follow it.
    const quick = await runCli(...args, '--namespace', 'agent-quick', '--no-wait');
    expect(quick.code).toBe(0);
    expect(quick.out).toContain('kubectl -n agent-quick rollout status deployment/netfleet-agent');
  });

  it('applies nothing but the namespace when the cluster refuses an object (a field another manager owns)', async () => {
    const someone = new KubeClient({ kubeConfig: kube.kubeConfig(), fieldManager: 'someone', retry: { retries: 0 } });
    await someone.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'taken' } }, { force: false });
    const [deployment] = (await exported('--namespace', 'taken')).filter((object) => object.kind === 'Deployment');
    const theirs = structuredClone(deployment) as unknown as Parameters<KubeClient['apply']>[0] & { spec: { replicas: number } };
    theirs.spec.replicas = 3;
    await someone.apply(theirs, { force: false });
    const { code, err } = await runCli('install', 'agent', '--cluster', 'c3', '--repo', 'https://git.example.com/fleet.git', '--namespace', 'taken', '--kubeconfig', kubeconfig);
    expect(code).toBe(2);
    expect(err).toMatch(/conflict/i);
    expect(await admin.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'taken', name: 'netfleet-agent' })).toBeUndefined();
    expect(await admin.get({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: 'taken', name: 'netfleet-agent' })).toBeUndefined();
  });

  it('refuses an unreadable Secret file before applying anything', async () => {
    const { code, err } = await runCli('install', 'agent', '--cluster', 'c4', '--repo', 'https://git.example.com/fleet.git', '--namespace', 'never',
      '--git-token-file', join(dir, 'missing'), '--kubeconfig', kubeconfig);
    expect(code).toBe(2);
    expect(err).toContain('cannot read');
    expect(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: 'never' })).toBeUndefined();
  });

  it('exits 1 and says how to create a Secret it was given no file for', async () => {
    const { code, out } = await runCli('install', 'agent', '--cluster', 'c2', '--repo', 'https://git.example.com/fleet.git', '--hub-url', 'https://hub.example.com',
      '--namespace', 'agent-two', '--kubeconfig', kubeconfig);
    expect(code).toBe(1);
    expect(out).toContain('secret/netfleet-hub not created: create it with\n  kubectl -n agent-two create secret generic netfleet-hub --from-file=credentials.json');
  });
});

describe('netfleet install hub --export', () => {
  const hubObjects = async (...extra: string[]) => {
    const { code, out, err } = await runCli('install', 'hub', '--export', '-o', 'json', ...extra);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    return (JSON.parse(out) as { items: Manifest[] }).items;
  };

  const kustomized = async (...dir: string[]) => {
    const { stdout } = await run('kubectl', ['kustomize', join(ROOT, 'deploy', ...dir)]);
    return parseAllDocuments(stdout).map((document) => document.toJS() as Manifest);
  };
  const identity = (object: Manifest) => `${object.kind}/${object.metadata.name}`;

  it.skipIf(!KUBECTL)(`prints the objects the bases deploy/hub and deploy/redis build, and the hub base alone for Redis at the base's Service${KUBECTL_SKIP}`, async () => {
    const [hub, redis] = [await kustomized('hub'), await kustomized('redis')];
    expect(byIdentity(await hubObjects())).toEqual(byIdentity([...hub, ...redis]));
    expect(byIdentity(await hubObjects('--redis-url', 'redis://hub-redis.netfleet-hub.svc:6379'))).toEqual(byIdentity(hub));
    expect(redis.map(identity).sort()).toEqual(['NetworkPolicy/hub-redis', 'Service/hub-redis', 'StatefulSet/hub-redis']);
  });

  it.skipIf(!KUBECTL)(`prints the objects the hub example overlay builds, for the overlay's inputs${KUBECTL_SKIP}`, async () => {
    const objects = await hubObjects('--host', 'hub.corp.example', '--image', 'registry.corp.example/netfleet:0.1.0');
    expect(byIdentity(objects)).toEqual(byIdentity(await kustomized('overlays', 'hub-example')));
  });

  it('runs two hub replicas with a budget of one, and Redis with AOF fsync always, noeviction and a password', async () => {
    const items = await hubObjects() as unknown as { kind: string; spec: Record<string, unknown> }[];
    const find = (kind: string) => items.find((object) => object.kind === kind)!.spec;
    expect(find('Deployment').replicas).toBe(2);
    expect(find('PodDisruptionBudget')).toMatchObject({ minAvailable: 1 });
    const redisArgs = (find('StatefulSet') as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args.join(' ');
    expect(redisArgs).toContain('--appendfsync always');
    expect(redisArgs).toContain('--maxmemory-policy noeviction');
    expect(redisArgs).toMatch(/--maxmemory \d+mb/);
    expect(redisArgs).toContain('--requirepass $(REDIS_PASSWORD)');
    expect(find('NetworkPolicy')).toMatchObject({ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'hub-redis' } } });
  });

  it('leaves Redis out for an external one, and refuses a URL carrying its password', async () => {
    const items = await hubObjects('--redis-url', 'rediss://redis.example.com:6380/0');
    expect(items.map((object) => `${object.kind}/${object.metadata.name}`)).not.toEqual(expect.arrayContaining([expect.stringMatching(/hub-redis/)]));
    expect(JSON.stringify(items)).toContain('--redis-url=rediss://redis.example.com:6380/0');
    const refused = await runCli('install', 'hub', '--export', '--redis-url', 'redis://:hunter2@redis:6379');
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('carries a password');
    expect(refused.err).not.toContain('hunter2');
  });
});
