/**
 * The agent's shipped RBAC (deploy/agent/rbac.yaml) is enough for a full sync and no more:
 * the API test server's allow-list authorizer is given exactly the verbs and resources of
 * the ClusterRole and Role, and `netfleet agent --once` must succeed for clusters that
 * together render every kind the example fleet uses. (The authorizer has no namespaces:
 * Role rules count cluster-wide here, so this shows no rule is missing, not that none is too wide.)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsRepoReader, renderRepository } from '@netfleet/shared';
import { KubeClient } from '@netfleet/agent';
import { runCli } from './io.js';
import { startKubeApiServer, type KubeApiServer, type TokenGrants } from '@netfleet/test';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLE_FLEET = join(ROOT, 'examples', 'fleet');
const AGENT_NAMESPACE = 'netfleet-system';

interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** `"verb resource.group"` grants for every rule of the shipped ClusterRole and Role. */
async function grantsFromRbac(): Promise<string[]> {
  const text = await readFile(join(ROOT, 'deploy', 'agent', 'rbac.yaml'), 'utf8');
  const grants: string[] = [];
  for (const document of parseAllDocuments(text)) {
    const object = document.toJS() as { kind: string; rules?: PolicyRule[] };
    if (object.kind !== 'ClusterRole' && object.kind !== 'Role') continue;
    for (const rule of object.rules ?? []) {
      for (const group of rule.apiGroups) {
        for (const resource of rule.resources) {
          for (const verb of rule.verbs) grants.push(`${verb} ${group ? `${resource}.${group}` : resource}`);
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

function agentOnce(cluster: string, kubeconfig: string) {
  return runCli('agent', '--once', '--repo', EXAMPLE_FLEET, '--cluster', cluster, '--kubeconfig', kubeconfig, '--namespace', AGENT_NAMESPACE);
}

let kube: KubeApiServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-rbac-'));
  const tokens: TokenGrants = { admin: '*', agent: await grantsFromRbac(), 'agent-without-namespaces': (await grantsFromRbac()).filter((g) => !g.endsWith(' namespaces')) };
  kube = await startKubeApiServer({ tokens });
  await kube.installDkpCrds();
  await new KubeClient({ kubeConfig: kube.kubeConfig('admin') })
    .apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE } }, { force: false });
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

describe('the agent RBAC in deploy/agent/rbac.yaml', () => {
  it('lets netfleet agent --once apply every kind the example fleet renders', async () => {
    const { clusters, kinds } = await clustersCoveringAllKinds();
    expect(kinds.size).toBeGreaterThan(8);
    const kubeconfig = await kubeconfigFor('agent');
    for (const cluster of clusters) {
      const { code, out } = await agentOnce(cluster, kubeconfig);
      expect({ cluster, code, out }).toEqual({ cluster, code: 0, out: expect.any(String) as string });
    }
    expect(kube.audit.filter((entry) => entry.user === 'agent' && entry.status === 403)).toEqual([]);
  }, 120_000);

  it('is what the sync depends on: without a rule the sync fails with the RBAC denial', async () => {
    const { clusters } = await clustersCoveringAllKinds();
    const { code, out } = await agentOnce(clusters[0]!, await kubeconfigFor('agent-without-namespaces'));
    expect(code).toBe(1);
    expect(out).toMatch(/forbidden|Forbidden/);
  }, 60_000);
});
