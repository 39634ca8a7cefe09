/**
 * Every command, run as users run it (a child process of the production bundle, and of the
 * checkout's bin for the agent), exits once its work is done: nothing it opened (keep-alive
 * sockets to the API server, watches, the hub's long poll and Redis connections, timers)
 * keeps the process alive. A `--once` in a cron job or CI step must end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { readdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { register } from '@netfleet/agent/report/index';
import {
  createWorkTree, deleteKeysWithPrefix, startGitServer, startKubeApiServer,
  type GitServer, type KubeApiServer, type WorkTree,
} from '@netfleet/test';
import { bundle, CLI_ENTRY, DIST_DIR } from '../../scripts/build.js';
import { runHub } from '../src/commands/hub.js';
import { captureIO } from './io.js';
import { SOURCE_BIN, runBin, type BinRun } from './process.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLE_FLEET = join(ROOT, 'examples', 'fleet');
const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'exit-admin-token-0123456789';
/** The acceptance bound: a command lets go of everything within this after its last output. */
const EXIT_WITHIN_MS = 2_000;

let dist: string;
let bin: string;
let dir: string;
let kube: { http: KubeApiServer; https: KubeApiServer };
let git: GitServer;
let tree: WorkTree;
let repoUrl: string;
const hubPrefix = `{nf-cli-exit-${randomBytes(4).toString('hex')}}`;
const hubStop = new AbortController();
const hubIO = captureIO();
let hubExited: Promise<number>;
let hubUrl: string;

async function bootstrapToken(): Promise<string> {
  const response = await fetch(`${hubUrl}/api/v1/bootstrap-tokens`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttlSeconds: 300, maxUses: 1 }),
  });
  return ((await response.json()) as { token: string }).token;
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(async () => {
  // Built as `pnpm build` builds dist/netfleet.mjs, into a directory of its own under dist/
  // so the external packages resolve the same way and parallel tests do not share it.
  await mkdir(DIST_DIR, { recursive: true });
  dist = await mkdtemp(join(DIST_DIR, 'test-exit-'));
  [bin] = (await bundle({ entries: CLI_ENTRY, outdir: dist })) as [string];
  dir = await mkdtemp(join(tmpdir(), 'netfleet-cli-exit-'));

  const [http, https] = await Promise.all([startKubeApiServer(), startKubeApiServer({ tls: true })]);
  kube = { http, https };
  await Promise.all([http.installDkpCrds(), https.installDkpCrds()]);
  // No netfleet-system namespace: `agent --once` on a fresh cluster creates its own.

  git = await startGitServer();
  const repo = await git.createRepo('fleet');
  tree = await createWorkTree(repo.dir);
  const files: Record<string, string> = {};
  for (const file of await listFiles(EXAMPLE_FLEET)) files[relative(EXAMPLE_FLEET, file)] = await readFile(file, 'utf8');
  await tree.write(files);
  await tree.commit('example fleet');
  await tree.push({ force: true });
  repoUrl = repo.url;

  await writeFile(join(dir, 'secret'), 'exit-hub-secret-0123456789abcdef0123\n');
  await writeFile(join(dir, 'admin-tokens'), `${ADMIN}\n`);
  await writeFile(join(dir, 'admin-token'), `${ADMIN}\n`);
  await writeFile(join(dir, 'hub.yaml'), [
    `redisUrl: ${REDIS_URL}`, `prefix: "${hubPrefix}"`, 'listen: 127.0.0.1:0',
    `secretFile: ${join(dir, 'secret')}`, `adminTokensFile: ${join(dir, 'admin-tokens')}`, '',
  ].join('\n'));
  hubExited = runHub({ config: join(dir, 'hub.yaml'), logLevel: 'silent' }, hubIO.io, hubStop.signal, {});
  const deadline = Date.now() + 30_000;
  while (!hubIO.text.out.includes('listening on')) {
    if (Date.now() > deadline) throw new Error(`the hub did not start: ${hubIO.text.out}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  hubUrl = /listening on (\S+)/.exec(hubIO.text.out)![1]!;
  for (const cluster of ['eu-fra-1', 'eu-ams-1']) {
    await register({ hubUrl, bootstrapToken: await bootstrapToken(), cluster, region: 'eu', credentialsFile: join(dir, `${cluster}.json`) });
  }
}, 240_000);

afterAll(async () => {
  hubStop.abort();
  await hubExited;
  await Promise.all([kube?.http.stop(), kube?.https.stop()]);
  await tree?.dispose();
  await git?.dispose();
  await deleteKeysWithPrefix(REDIS_URL, hubPrefix);
  await rm(dir, { recursive: true, force: true });
  await rm(dist, { recursive: true, force: true });
}, 60_000);

/**
 * The run exited by itself, soon after its last output, with `code`. Time its threads spent
 * waiting for a CPU on a loaded machine does not count; a process that never exits fails.
 */
function expectPromptExit(run: BinRun, code: number): void {
  const lingered = run.code === null
    ? 'never exited: killed after a minute without output'
    : `exited ${Math.round(run.lingerMs)} ms after its last output (${Math.round(run.cpuWaitMs)} ms of it waiting for a CPU)`;
  expect(run.lingerMs - run.cpuWaitMs, `${lingered}\nstdout:\n${run.out}\nstderr:\n${run.err}`).toBeLessThan(EXIT_WITHIN_MS);
  expect(run.code, run.err).toBe(code);
}

const hubArgs = (cluster: string) => [
  '--hub-url', hubUrl, '--hub-credentials', join(dir, `${cluster}.json`), '--spool-dir', join(dir, `spool-${cluster}`),
];

describe.each(['http', 'https'] as const)('against the API test server over %s and a real hub', (scheme) => {
  // One cluster per API server, so each sync starts from an empty cluster.
  const cluster = scheme === 'http' ? 'eu-fra-1' : 'eu-ams-1';
  const target = () => [
    '--repo', repoUrl, '--cluster', cluster, '--kubeconfig', kube[scheme].kubeconfigPath, '--namespace', 'netfleet-system',
    '--cache-dir', join(dir, `cache-${scheme}`),
  ];

  it('`agent --once` (bundle) syncs, reports to the hub and exits', async () => {
    const run = await runBin(bin, ['agent', '--once', ...target(), ...hubArgs(cluster)]);
    expect(run.out, run.err).toMatch(/sync succeeded: Succeeded at revision [0-9a-f]{40}/);
    expectPromptExit(run, 0);
  }, 240_000);

  it('`diff` (bundle) compares and exits', async () => {
    // An object deleted by hand, so the diff has something to print: its last output.
    await new KubeClient({ kubeConfig: kube[scheme].kubeConfig() }).delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cluster-info' });
    const run = await runBin(bin, ['diff', ...target()]);
    expect(run.out).toContain('+++ desired/ConfigMap/shop/cluster-info');
    expectPromptExit(run, 1);
  }, 240_000);
});

describe('from a checkout (cli/bin/netfleet.js: the bundle pnpm install built, or the sources through tsx)', () => {
  it('`agent --once` over https with a hub syncs and exits', async () => {
    const run = await runBin(SOURCE_BIN, [
      'agent', '--once', '--repo', repoUrl, '--cluster', 'eu-ams-1', '--kubeconfig', kube.https.kubeconfigPath,
      '--namespace', 'netfleet-system', '--cache-dir', join(dir, 'cache-tsx'), ...hubArgs('eu-ams-1'),
    ]);
    expect(run.out, run.err).toMatch(/sync succeeded: Succeeded at revision [0-9a-f]{40}/);
    expectPromptExit(run, 0);
  }, 240_000);
});

describe('local and hub commands (bundle)', () => {
  const hubEnv = () => ({ NETFLEET_HUB_URL: hubUrl, NETFLEET_HUB_TOKEN_FILE: join(dir, 'admin-token') });

  it('`render` exits', async () => {
    const run = await runBin(bin, ['render', '--repo', EXAMPLE_FLEET, '--all', '-o', 'yaml']);
    expect(run.out).toContain('kind: ModuleConfig');
    expectPromptExit(run, 0);
  }, 60_000);

  it('`validate` exits', async () => {
    const run = await runBin(bin, ['validate', '--repo', EXAMPLE_FLEET]);
    expect(run.out).toMatch(/^valid: \d+ clusters, \d+ objects$/m);
    expectPromptExit(run, 0);
  }, 60_000);

  it('`register` exits', async () => {
    await writeFile(join(dir, 'bootstrap'), `${await bootstrapToken()}\n`);
    const run = await runBin(bin, [
      'register', '--hub-url', hubUrl, '--bootstrap-token-file', join(dir, 'bootstrap'), '--cluster', 'us-nyc-1', '--region', 'us',
      '--credentials-file', join(dir, 'us-nyc-1.json'),
    ]);
    expect(run.out).toContain('registered us-nyc-1');
    expectPromptExit(run, 0);
  }, 60_000);

  it('`clusters` exits', async () => {
    const run = await runBin(bin, ['clusters'], { env: hubEnv() });
    expect(run.out).toMatch(/^eu-fra-1\s+eu\s/m);
    expectPromptExit(run, 0);
  }, 60_000);

  it('`rollout list` exits', async () => {
    const run = await runBin(bin, ['rollout', 'list'], { env: hubEnv() });
    expect(run.out).toMatch(/^(No rollouts yet\.|ID\s+REVISION)/);
    expectPromptExit(run, 0);
  }, 60_000);

  it('`links` exits', async () => {
    const run = await runBin(bin, ['links', '-o', 'json'], { env: hubEnv() });
    expect(JSON.parse(run.out)).toHaveProperty('groups');
    expect([0, 1]).toContain(run.code);
    expectPromptExit(run, run.code!);
  }, 60_000);
});
