/**
 * The agent's RBAC as `netfleet install agent --export` generates it (and deploy/agent builds
 * it, install.test.ts keeps the two equal) is enough for a full sync and for pruning, and no
 * more: the API test server's allow-list authorizer is given exactly the rules of the
 * generated ClusterRoles (cluster-wide, as their ClusterRoleBindings grant them) and Role (in
 * the agent's namespace only, as its RoleBinding grants it), and `netfleet agent --once` must
 * succeed for clusters that together render every kind the example fleet uses.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, renderRepository } from '@netfleet/shared';
import { KubeClient } from '@netfleet/agent';
import { runCli } from './io.js';
import { startKubeApiServer, type KubeApiServer, type TokenGrants } from '@netfleet/test';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLE_FLEET = join(ROOT, 'examples', 'fleet');
const AGENT_NAMESPACE = 'netfleet-system';

interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** The generated manifests of an agent whose fleet is the example fleet (its plain manifests' kinds included). */
async function generatedRbac(): Promise<RbacObject[]> {
  const { code, out, err } = await runCli('install', 'agent', '--cluster', 'c', '--repo', 'https://git.example.com/fleet.git',
    '--fleet-dir', EXAMPLE_FLEET, '--namespace', AGENT_NAMESPACE, '--export', '-o', 'json');
  expect({ code, err }).toEqual({ code: 0, err: '' });
  return (JSON.parse(out) as { items: RbacObject[] }).items;
}

/**
 * `"verb resource.group"` grants the bindings give the agent's service account: a
 * ClusterRoleBinding's ClusterRole cluster-wide, a RoleBinding's Role `in` its namespace.
 */
function grantsOf(objects: RbacObject[]): string[] {
  const roles = new Map(objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  const grants: string[] = [];
  for (const binding of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
    if (!binding.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === 'netfleet-agent' && s.namespace === AGENT_NAMESPACE)) continue;
    const role = roles.get(`${binding.roleRef!.kind}/${binding.roleRef!.name}`)!;
    const scope = binding.kind === 'RoleBinding' ? ` in ${binding.metadata.namespace!}` : '';
    for (const rule of role.rules ?? []) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) grants.push(`${verb} ${group ? `${resource}.${group}` : resource}${scope}`);
        }
      }
    }
  }
  return grants;
}

/** Clusters of the example fleet that between them render every kind it uses. */
async function clustersCoveringAllKinds(): Promise<{ clusters: string[]; kinds: Set<string> }> {
  const { results } = await renderRepository(new FsRepoReader(EXAMPLE_FLEET));
  const kindsOf = new Map([...results].map(([name, result]) => [name, new Set(result.objects.map((o) => o.object.kind))]));
  const all = new Set([...kindsOf.values()].flatMap((kinds) => [...kinds]));
  const uncovered = new Set(all);
  const clusters: string[] = [];
  while (uncovered.size > 0) {
    const [best] = [...kindsOf].sort(([a, ka], [b, kb]) =>
      [...kb].filter((k) => uncovered.has(k)).length - [...ka].filter((k) => uncovered.has(k)).length || a.localeCompare(b));
    clusters.push(best![0]);
    for (const kind of best![1]) uncovered.delete(kind);
  }
  return { clusters, kinds: all };
}

function agentOnce(cluster: string, kubeconfig: string, repo = EXAMPLE_FLEET) {
  return runCli('agent', '--once', '--repo', repo, '--cluster', cluster, '--kubeconfig', kubeconfig, '--namespace', AGENT_NAMESPACE, '--prune-limit', '1');
}

let kube: KubeApiServer;
let dir: string;
let agentGrants: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-rbac-'));
  agentGrants = grantsOf(await generatedRbac());
  const tokens: TokenGrants = { admin: '*', agent: agentGrants, 'agent-without-namespaces': agentGrants.filter((g) => !/ namespaces$/.test(g)) };
  kube = await startKubeApiServer({ tokens });
  await kube.installDkpCrds();
  const admin = new KubeClient({ kubeConfig: kube.kubeConfig('admin') });
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE } }, { force: false });
  await admin.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } }, { force: false });
  await admin.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'database', namespace: 'other' }, stringData: { password: 'x' } }, { force: false });
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfigFor(user: string): Promise<string> {
  const file = join(dir, `kubeconfig-${user}`);
  await writeFile(file, kube.kubeConfig(user).exportConfig(), { mode: 0o600 });
  return file;
}

const denials = () => kube.audit.filter((entry) => entry.user === 'agent' && entry.status === 403);

describe('the agent RBAC netfleet install agent generates', () => {
  it('grants the inventory, events and leases in the agent\'s own namespace only', () => {
    expect(agentGrants.filter((grant) => / (configmaps|events|leases\.coordination\.k8s\.io) in /.test(grant)).every((grant) => grant.endsWith(` in ${AGENT_NAMESPACE}`))).toBe(true);
    expect(agentGrants).toContain(`update configmaps in ${AGENT_NAMESPACE}`);
    expect(agentGrants).not.toContain('update configmaps');
  });

  it('lets netfleet agent --once apply every kind the example fleet renders', async () => {
    const { clusters, kinds } = await clustersCoveringAllKinds();
    expect(kinds.size).toBeGreaterThan(8);
    const kubeconfig = await kubeconfigFor('agent');
    for (const cluster of clusters) {
      const { code, out } = await agentOnce(cluster, kubeconfig);
      expect({ cluster, code, out }).toEqual({ cluster, code: 0, out: expect.any(String) as string });
    }
    expect(denials()).toEqual([]);
  }, 120_000);

  it('lets the agent prune what leaves the repository', async () => {
    const { clusters } = await clustersCoveringAllKinds();
    const cluster = clusters[0]!;
    const fleet = join(dir, 'fleet');
    await cp(EXAMPLE_FLEET, fleet, { recursive: true });
    const kubeconfig = await kubeconfigFor('agent');
    expect((await agentOnce(cluster, kubeconfig, fleet)).code).toBe(0);
    const admin = new KubeClient({ kubeConfig: kube.kubeConfig('admin') });
    const policies = async () => (await admin.list('networking.k8s.io/v1', 'NetworkPolicy', 'app.kubernetes.io/managed-by=netfleet')).items.length;
    const before = await policies();
    await rm(join(fleet, 'network', 'policies.yaml'));
    await rm(join(fleet, 'network', 'egress.yaml'));
    const { code, out } = await agentOnce(cluster, kubeconfig, fleet);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringMatching(/prune|delet/i) as string });
    expect(await policies()).toBeLessThan(before);
    const deleted = new Set(kube.audit.filter((entry) => entry.user === 'agent' && entry.verb === 'delete' && entry.status === 200).map((entry) => entry.resource));
    expect([...deleted].sort()).toEqual(expect.arrayContaining(['ciliumnetworkpolicies', 'egressgatewaypolicies', 'egressgateways', 'networkpolicies']));
    expect(denials()).toEqual([]);
  }, 120_000);

  it('cannot read Secrets, in another namespace or its own', async () => {
    const agent = new KubeClient({ kubeConfig: kube.kubeConfig('agent'), retry: { retries: 0 } });
    await expect(agent.get({ apiVersion: 'v1', kind: 'Secret', namespace: 'other', name: 'database' })).rejects.toThrow(/forbidden/i);
    await expect(agent.get({ apiVersion: 'v1', kind: 'Secret', namespace: AGENT_NAMESPACE, name: 'netfleet-git' })).rejects.toThrow(/forbidden/i);
    await expect(agent.list('v1', 'Secret')).rejects.toThrow(/forbidden/i);
  });

  it('is what the sync depends on: without a rule the sync fails with the RBAC denial', async () => {
    const { clusters } = await clustersCoveringAllKinds();
    const { code, out } = await agentOnce(clusters[0]!, await kubeconfigFor('agent-without-namespaces'));
    expect(code).toBe(1);
    expect(out).toMatch(/forbidden|Forbidden/);
  }, 60_000);
});
