import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkTree, type WorkTree } from '@netfleet/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FleetPreview } from '../src/preview/compute.js';
import { runCli } from './io.js';

const EXAMPLE_FLEET = fileURLToPath(new URL('../../examples/fleet', import.meta.url));
const SECRET = (password: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\n  namespace: shop\nstringData:\n  password: ${password}\n`;

let tree: WorkTree;
let base: string;

/** Edits one file of the work tree in place. */
async function edit(path: string, change: (text: string) => string): Promise<void> {
  const file = join(tree.dir, path);
  const before = await readFile(file, 'utf8');
  const after = change(before);
  expect(after, `the edit of ${path} changes it`).not.toBe(before);
  await writeFile(file, after);
}

async function preview(...args: string[]): Promise<{ code: number; out: string; err: string; json: () => FleetPreview }> {
  const result = await runCli('preview', '--repo', tree.dir, ...args);
  return { ...result, json: () => JSON.parse(result.out) as FleetPreview };
}

beforeAll(async () => {
  // The example fleet plus one Secret, committed on main: the revision the agents run.
  tree = await createWorkTree('/nonexistent/origin.git');
  await cp(EXAMPLE_FLEET, tree.dir, { recursive: true });
  await tree.write({ 'manifests/base/registry.yaml': SECRET('old-password-1') });
  base = await tree.commit('the example fleet');
});

afterEach(async () => {
  await tree.git(['checkout', '--quiet', '--force', 'main']);
  await tree.resetHard(base);
  await tree.git(['clean', '--quiet', '-fd']);
});

afterAll(async () => {
  await tree.dispose();
});

describe('netfleet preview', () => {
  it('exits 0 and says so when nothing changes', async () => {
    const { code, out } = await preview();
    expect(code).toBe(0);
    expect(out).toContain('merge base with main');
    expect(out).toContain('no cluster changes');
  });

  it('shows the clusters that lose objects when a label is renamed', async () => {
    await edit('clusters/eu-central.yaml', (text) => text.replaceAll('env: prod', 'env: production'));
    const result = await preview();
    expect(result.code).toBe(1);
    expect(result.out).toContain('3 clusters lose IngressNginxController/internal');
    expect(result.out).toMatch(/eu-fra-1 \(eu-central\)\n(.*\n)*? {2}- IngressNginxController\/internal \(pruned\)/);

    const json = (await preview('-o', 'json')).json();
    const losing = json.clusters.filter((cluster) => cluster.deleted.some((entry) => entry.object === 'IngressNginxController/internal'));
    expect(losing.map((cluster) => cluster.cluster)).toEqual(['eu-ams-1', 'eu-fra-1', 'eu-fra-2']);
    expect(json.clusters.find((cluster) => cluster.cluster === 'us-nyc-1')?.status).toBe('unchanged');
  });

  it('lists the mesh links a new member adds, in both directions', async () => {
    await edit('mesh/groups.yaml', (text) => text.replace('members: [eu-fra-1, eu-ams-1,', 'members: [eu-fra-1, eu-fra-2, eu-ams-1,'));
    const result = await preview('-o', 'json');
    expect(result.code).toBe(1);
    const json = result.json();
    const cluster = (name: string) => json.clusters.find((entry) => entry.cluster === name)!;
    expect(cluster('eu-fra-2').linksAdded).toEqual(['ap-sin-1', 'eu-ams-1', 'eu-fra-1', 'us-iad-1', 'us-nyc-1'].map((peer) => `federation global-prod: eu-fra-2 → ${peer}`));
    expect(cluster('us-iad-1').linksAdded).toEqual(['federation global-prod: us-iad-1 → eu-fra-2']);
    expect(cluster('eu-fra-2').created).toEqual(expect.arrayContaining(['IstioFederation/us-nyc-1']));
    expect(json.summary).toContain('mesh links: 10 added, 0 removed');
  });

  it('shows the wave moves of a committed change of the rollout policy', async () => {
    await tree.git(['checkout', '--quiet', '-b', 'canary-change']);
    await edit('rollout/default.yaml', (text) => text.replace('names: [eu-fra-2]', 'names: [eu-ams-1]'));
    await tree.commit('canary: eu-ams-1');
    const moved = await preview('--from', 'main', '--to', 'HEAD', '-o', 'json');
    expect(moved.code).toBe(1);
    const waves = Object.fromEntries(moved.json().clusters.filter((entry) => entry.waves.length > 0).map((entry) => [entry.cluster, entry.waves]));
    expect(waves).toEqual({
      'eu-ams-1': [{ policy: 'default', from: 'europe', to: 'canary' }],
      'eu-fra-2': [{ policy: 'default', from: 'canary', to: 'europe' }],
    });

    const markdown = await preview('--from', 'main', '-o', 'markdown');
    expect(markdown.out).toContain('<summary><b>eu-ams-1</b> (eu-central): wave moves</summary>');
    expect(markdown.out).toContain('~ rollout default: wave europe → canary');
  });

  it('names a changed Secret key but never its values', async () => {
    await tree.write({ 'manifests/base/registry.yaml': SECRET('new-password-2') });
    for (const output of ['text', 'markdown', 'json']) {
      const { code, out } = await preview('-o', output);
      expect(code).toBe(1);
      expect(out).toContain('Secret/shop/registry');
      expect(out).toContain('/stringData/password');
      expect(out).not.toContain('password-1');
      expect(out).not.toContain('password-2');
    }
  });

  it('says which revision is invalid and exits 2', async () => {
    await edit('network/egress.yaml', (text) => text.replace('kind: Egress', 'kind: Egres'));
    const { code, err } = await preview();
    expect(code).toBe(2);
    expect(err).toContain('the fleet at working tree has problems');
    expect(err).toMatch(/network\/egress\.yaml:\d+:\d+ CONFIG_UNKNOWN_KIND/);
  });

  it('refuses an unknown revision with a hint', async () => {
    const { code, err } = await preview('--from', 'no-such-branch');
    expect(code).toBe(2);
    expect(err).toContain('revision no-such-branch is not in the repository');
  });
});

describe('netfleet preview: what the agents would not delete', () => {
  it('says which deleted objects stay in the cluster, and where the prune limit stops the sync', async () => {
    await tree.remove('manifests/base/cluster-info.yaml', 'network');
    const { code, json } = await preview('-o', 'json');
    expect(code).toBe(1);
    const fra = json().clusters.find((entry) => entry.cluster === 'eu-fra-1')!;
    expect(fra.deleted).toContainEqual({ object: 'ConfigMap/shop/cluster-info', fate: 'kept: policy.prune is false' });
    expect(fra.deleted).toContainEqual({ object: 'IngressNginxController/public', fate: 'pruned' });
    // More than half of eu-fra-1's objects go: the agents' default limit (0.5) stops the sync.
    expect(fra.pruneLimitStops).toBe(true);
    expect(json().summary.some((line) => line.startsWith('the prune limit stops the sync on') && line.includes('eu-fra-1'))).toBe(true);

    const lenient = (await preview('-o', 'json', '--prune-limit', '0.9')).json();
    expect(lenient.clusters.find((entry) => entry.cluster === 'eu-fra-1')?.pruneLimitStops).toBe(false);
  });
});
