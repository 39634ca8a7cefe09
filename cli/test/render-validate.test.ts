import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkTree, startGitServer, type GitServer } from '@netfleet/test';
import { runCli } from './io.js';

const EXAMPLE_FLEET = fileURLToPath(new URL('../../examples/fleet', import.meta.url));

let broken: string;

beforeAll(async () => {
  broken = await mkdtemp(join(tmpdir(), 'netfleet-cli-'));
  await cp(EXAMPLE_FLEET, broken, { recursive: true });
  await writeFile(join(broken, 'mesh', 'extra.yaml'), 'apiVersion: netfleet.io/v1alpha1\nkind: MeshGroup\nmetadata:\n  name: lost\nspec:\n  type: federation\n  members: [eu-fra-1, mars-1]\n');
  await writeFile(join(broken, 'network', 'typo.yaml'), 'apiVersion: netfleet.io/v1alpha1\nkind: Egres\nmetadata:\n  name: x\n');
});

afterAll(async () => {
  await rm(broken, { recursive: true, force: true });
});

/** A copy of the example fleet with some files edited; removed with `broken`. */
async function copyOfExample(name: string, edits: Record<string, (text: string) => string>): Promise<string> {
  const dir = join(broken, '..', `${broken.split('/').pop()}-${name}`);
  await cp(EXAMPLE_FLEET, dir, { recursive: true });
  copies.push(dir);
  for (const [file, edit] of Object.entries(edits)) {
    const text = await readFile(join(dir, file), 'utf8');
    const edited = edit(text);
    if (edited === text) throw new Error(`the edit of ${file} changed nothing`);
    await writeFile(join(dir, file), edited);
  }
  return dir;
}

const copies: string[] = [];

afterAll(async () => {
  for (const dir of copies) await rm(dir, { recursive: true, force: true });
});

describe('netfleet render', () => {
  it('prints the objects of one cluster as YAML documents in apply order', async () => {
    const { code, out } = await runCli('render', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1');
    expect(code).toBe(0);
    const objects = parseAllDocuments(out).map((doc) => doc.toJS() as { kind: string; metadata: { labels: Record<string, string> } });
    expect(objects).toHaveLength(28);
    expect(objects[0]?.kind).toBe('ModuleConfig');
    expect(objects.every((object) => object.metadata.labels['app.kubernetes.io/managed-by'] === 'netfleet')).toBe(true);
  });

  it('prints a List as JSON with -o json', async () => {
    const { code, out } = await runCli('render', '--repo', EXAMPLE_FLEET, '--cluster', 'us-nyc-2', '-o', 'json');
    expect(code).toBe(0);
    const list = JSON.parse(out) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.filter((item) => item.kind === 'IstioMulticluster')).toHaveLength(1);
  });

  it.each(['json', 'yaml'])('prints every cluster with its region, set hash and objects with --all -o %s', async (format) => {
    const { code, out } = await runCli('render', '--repo', EXAMPLE_FLEET, '--all', '-o', format);
    expect(code).toBe(0);
    const { clusters } = (format === 'json' ? JSON.parse(out) : parse(out)) as { clusters: { name: string; region: string; hash: string; objects: { kind: string }[] }[] };
    expect(clusters).toHaveLength(10);
    const fra = clusters.find((cluster) => cluster.name === 'eu-fra-1')!;
    expect(fra).toMatchObject({ region: 'eu-central', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fra.objects).toHaveLength(28);
    expect(fra.objects[0]?.kind).toBe('ModuleConfig');
  });

  it.each(['json', 'yaml'])('prints what validate found as %s: valid or the problems, with the same exit codes', async (format) => {
    const valid = await runCli('validate', '--repo', EXAMPLE_FLEET, '-o', format);
    expect(valid.code).toBe(0);
    const read = (text: string) => (format === 'json' ? JSON.parse(text) : parse(text)) as { valid: boolean; clusters: number; objects: number; problems: { code: string; file: string }[] };
    expect(read(valid.out)).toMatchObject({ valid: true, clusters: 10, objects: 251, problems: [] });
    const invalid = await runCli('validate', '--repo', broken, '-o', format);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toBe('');
    const report = read(invalid.out);
    expect(report.valid).toBe(false);
    expect(report.problems.map((problem) => problem.code)).toEqual(expect.arrayContaining(['CONFIG_UNKNOWN_KIND']));
  });

  it('summarises every cluster with --all', async () => {
    const { code, out } = await runCli('render', '--repo', EXAMPLE_FLEET, '--all');
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('10 of 10 clusters rendered, 3 regions, 251 objects');
    expect(out).toMatch(/^eu-fra-1\s+eu-central\s+28 objects {2}set [0-9a-f]{12}$/m);
    expect(out).toContain('mesh federation global-prod: eu-fra-1, eu-ams-1, us-nyc-1, us-iad-1, ap-sin-1');
    expect(out.match(/ objects {2}set /g)).toHaveLength(10);
  });

  it.each([[[]], [['--cluster', 'eu-fra-1', '--all']]])('exits 2 unless exactly one of --cluster and --all is given (%j)', async (extra) => {
    const { code, err } = await runCli('render', '--repo', EXAMPLE_FLEET, ...extra);
    expect(code).toBe(2);
    expect(err).toContain('give exactly one of --cluster <name> or --all');
  });

  it('exits 2 for a cluster the inventory does not have', async () => {
    const { code, err } = await runCli('render', '--repo', EXAMPLE_FLEET, '--cluster', 'mars-1');
    expect(code).toBe(2);
    expect(err).toContain('ERR RENDER_UNKNOWN_CLUSTER: cluster "mars-1" is not in the inventory');
  });

  it('exits 1 and lists the problems of a broken repository', async () => {
    const { code, out, err } = await runCli('render', '--repo', broken, '--cluster', 'eu-fra-1');
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('CONFIG_UNKNOWN_CLUSTER spec.members[1]: found "mars-1"');
  });

  it('shows help', async () => {
    const { code, out } = await runCli('render', '--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: netfleet render [options]');
    expect(out).toContain('--cluster <name>');
  });
});

describe('netfleet validate', () => {
  it('exits 0 for the example fleet', async () => {
    const { code, out } = await runCli('validate', '--repo', EXAMPLE_FLEET);
    expect(code).toBe(0);
    expect(out).toBe('valid: 10 clusters, 251 objects\n');
  });

  it('exits 1 listing every problem, not only the first', async () => {
    const { code, err } = await runCli('validate', '--repo', broken);
    expect(code).toBe(1);
    expect(err.trimEnd().split('\n')).toEqual([
      'mesh/extra.yaml:7:23 CONFIG_UNKNOWN_CLUSTER spec.members[1]: found "mars-1", expected the name of a cluster in the inventory',
      'network/typo.yaml:2:1 CONFIG_UNKNOWN_KIND kind: found "Egres", expected one of "Cluster", "IngressProfile", "Egress", "PolicySet", "MeshGroup", "MeshSettings", "DNSSettings", "CNISettings", "ManifestSet" or "RolloutPolicy"',
      '2 problems found',
    ]);
  });

  it('refuses selectors that match no cluster instead of rendering fewer objects', async () => {
    const fleet = await copyOfExample('selectors', {
      'network/egress.yaml': (text) => text.replace('matchLabels:\n    env: prod', 'matchLabels:\n    env: production'),
      'rollout/default.yaml': (text) => text.replace('env: staging', 'env: stage'),
    });
    const { code, out, err } = await runCli('validate', '--repo', fleet);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err.trimEnd().split('\n')).toEqual([
      'network/egress.yaml:8:1 CONFIG_SELECTS_NOTHING targets: found a selector that matches none of the 10 clusters (matchLabels env: production; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
      'rollout/default.yaml:10:7 CONFIG_SELECTS_NOTHING spec.waves[0].selector: found a selector that matches none of the 10 clusters (matchLabels env: stage; label env is prod, staging), expected a selector that matches at least one cluster, or allowEmpty: true if it may match none',
      '2 problems found',
    ]);
  });

  it('reports an invalid Cluster once, not every reference to it', async () => {
    const fleet = await copyOfExample('cluster', { 'clusters/us-east.yaml': (text) => text.replace('publicDomain: us-nyc-1.k8s.example.com', 'publicDomain: us-nyc-1.k8s.example.com.') });
    const { code, err } = await runCli('validate', '--repo', fleet);
    expect(code).toBe(1);
    expect(err.trimEnd().split('\n')).toEqual([
      'clusters/us-east.yaml:14:3 CONFIG_INVALID_VALUE spec.publicDomain: found "us-nyc-1.k8s.example.com.", expected a DNS name such as "k8s.example.com"',
      '1 problem found',
    ]);
  });

  it('lists three independent mistakes in one run and never crashes on a variable in a rollout policy', async () => {
    const fleet = await copyOfExample('three', {
      'rollout/default.yaml': (text) => text.replace('bakeTime: 30m', 'bakeTime: ${vars.canaryBake}'),
      'network/egress.yaml': (text) => text.replace('203.0.113.0/24', '203.0.313.0/24'),
      'platform/dns.yaml': (text) => text.replace('10.0.0.53,', '"${vars.dns}",'),
    });
    const { code, err } = await runCli('validate', '--repo', fleet);
    expect(code).toBe(1);
    expect(err).not.toContain('NETFLEET_INTERNAL');
    expect(err.trimEnd().split('\n').map((line) => (line.endsWith('found') ? line : line.split(' ').slice(0, 2).join(' ')))).toEqual([
      expect.stringMatching(/^network\/egress\.yaml:\d+:\d+ CONFIG_INVALID_VALUE$/),
      expect.stringMatching(/^platform\/dns\.yaml:\d+:\d+ CONFIG_UNKNOWN_VARIABLE$/),
      'rollout/default.yaml:13:7 CONFIG_VARIABLE_NOT_ALLOWED',
      '3 problems found',
    ]);
  });

  it('exits 2 when the folder does not exist', async () => {
    const { code, err } = await runCli('validate', '--repo', join(broken, 'nope'));
    expect(code).toBe(2);
    expect(err).toContain('ERR CONFIG_REPO_UNREADABLE');
  });

  it('shows help', async () => {
    const { code, out } = await runCli('validate', '--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: netfleet validate [options]');
  });
});

describe('--repo as a URL (render, validate)', () => {
  let server: GitServer;
  let url: string;
  let tokenFile: string;
  const token = 'render-token-0123456789';

  beforeAll(async () => {
    server = await startGitServer({ auth: { username: 'x-access-token', password: token } });
    const repo = await server.createRepo('fleet');
    const tree = await createWorkTree(repo.dir);
    await cp(EXAMPLE_FLEET, tree.dir, { recursive: true });
    await tree.commit('the example fleet');
    await tree.push();
    await tree.dispose();
    url = repo.url;
    tokenFile = join(broken, 'git-token');
    await writeFile(tokenFile, `${token}\n`);
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('renders the branch head of a remote repository as it renders the same files from a folder', async () => {
    const remote = await runCli('render', '--repo', url, '--git-token-file', tokenFile, '--cluster', 'eu-fra-1');
    const local = await runCli('render', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1');
    expect(remote.err).toBe('');
    expect(remote.code).toBe(0);
    expect(remote.out).toBe(local.out);
  });

  it('validates a remote repository, and says clearly when the credentials are refused', async () => {
    const valid = await runCli('validate', '--repo', url, '--git-token-file', tokenFile);
    expect(valid.code).toBe(0);
    expect(valid.out).toBe('valid: 10 clusters, 251 objects\n');
    const refused = await runCli('validate', '--repo', url);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^ERR AGENT_GIT_AUTH_FAILED: /);
  });
});
