import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { freePort, startKubeApiServer, type KubeApiServer } from '@netfleet/test';
import { runCli } from './io.js';

const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
const BIN = join(import.meta.dirname, '..', 'bin', 'netfleet.js');

let kube: KubeApiServer;
let dir: string;


const target = () => ['--repo', dir, '--cluster', 'eu-fra-1', '--kubeconfig', kube.kubeconfigPath, '--namespace', 'netfleet-system'];

beforeAll(async () => {
  kube = await startKubeApiServer();
  await kube.installDkpCrds();
  await new KubeClient({ kubeConfig: kube.kubeConfig() }).apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'netfleet-system' } }, { force: false });
  dir = await mkdtemp(join(tmpdir(), 'netfleet-cli-fleet-'));
  await cp(EXAMPLE_FLEET, dir, { recursive: true });
}, 60_000);
afterAll(async () => {
  await kube?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('netfleet diff, before anything was applied', () => {
  it('shows every object as new and exits 1', async () => {
    const { code, out } = await runCli('diff', ...target());
    expect(code).toBe(1);
    expect(out).toContain('+++ desired/IngressNginxController/public');
    expect(out).toContain('+  inlet: LoadBalancer');
  });
});

describe('netfleet agent --once', () => {
  it('applies everything and exits 0', async () => {
    const { code, out } = await runCli('agent', '--once', ...target());
    expect(code).toBe(0);
    expect(out).toMatch(/created +IngressNginxController\/public/);
    expect(out).toMatch(/sync succeeded: Succeeded at revision dir-[0-9a-f]{40}/);
  });

  it('exits 1 with the reason when the sync fails', async () => {
    const { code, out } = await runCli('agent', '--once', '--repo', dir, '--cluster', 'no-such-cluster', '--kubeconfig', kube.kubeconfigPath, '--namespace', 'netfleet-system');
    expect(code).toBe(1);
    expect(out).toMatch(/sync failed \(terminal\): RenderFailed/);
    expect(out).toContain('no-such-cluster');
  });
});

describe('netfleet agent --once on a fresh cluster', () => {
  it('fails naming its namespace and what to do when it may neither find nor create it', async () => {
    const limited = await startKubeApiServer({ tokens: { agent: ['get configmaps', 'get namespaces'] } });
    try {
      const { code, out } = await runCli('agent', '--once', '--repo', dir, '--cluster', 'eu-fra-1', '--kubeconfig', limited.kubeconfigPath, '--namespace', 'netfleet-system');
      expect(code).toBe(1);
      expect(out).not.toContain('ClusterUnreachable');
      expect(out).toContain('the agent\'s namespace netfleet-system does not exist and could not be created: namespaces "netfleet-system" is forbidden');
      expect(out).toContain('hint: create it (kubectl create namespace netfleet-system), allow the agent to create namespaces, or pass --namespace with an existing one');
    } finally {
      await limited.stop();
    }
  });
});

describe('netfleet diff, after a sync', () => {
  it('exits 0 without output when the cluster matches the repository', async () => {
    const { code, out } = await runCli('diff', ...target());
    expect(out).toBe('');
    expect(code).toBe(0);
  });

  it('prints a unified diff of the changed field and exits 1 when the repository moved', async () => {
    const file = join(dir, 'network', 'ingress.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('proxy-body-size: 16m', 'proxy-body-size: 32m'));
    const { code, out } = await runCli('diff', ...target());
    expect(code).toBe(1);
    expect(out).toContain('--- live/IngressNginxController/public');
    expect(out).toContain('-    proxy-body-size: 16m');
    expect(out).toContain('+    proxy-body-size: 32m');
    expect(out).not.toContain('IngressNginxController/internal');

    const json = await runCli('diff', ...target(), '-o', 'json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as { cluster: string; differences: { object: string; diff: string }[] };
    expect(report.cluster).toBe('eu-fra-1');
    expect(report.differences.map((difference) => difference.object)).toEqual(['deckhouse.io_IngressNginxController__public']);
    expect(report.differences[0]?.diff).toContain('+    proxy-body-size: 32m');
  });

  it('uses the --context it is given, and names the contexts there are when that one is missing', async () => {
    const config = parse(await readFile(kube.kubeconfigPath, 'utf8')) as { 'current-context': string; contexts: { name: string }[] };
    const withOther = join(dir, 'two-contexts.kubeconfig');
    // The current context points nowhere; only --context reaches the cluster.
    await writeFile(withOther, stringify({ ...config, 'current-context': 'elsewhere', contexts: [...config.contexts, { name: 'elsewhere', context: { cluster: 'none', user: 'none' } }] }));
    const chosen = await runCli('diff', '--repo', dir, '--cluster', 'eu-fra-1', '--kubeconfig', withOther, '--context', config['current-context'], '--namespace', 'netfleet-system');
    expect(chosen.err).toBe('');
    expect([0, 1]).toContain(chosen.code);
    const missing = await runCli('diff', '--repo', dir, '--cluster', 'eu-fra-1', '--kubeconfig', withOther, '--context', 'nope');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain(`ERR KUBE_CONFIG_INVALID: the kubeconfig ${withOther} has no context "nope"`);
    expect(missing.err).toContain(`hint: use one of: ${config['current-context']}, elsewhere`);
  });

  it('exits 2 when the cluster cannot be reached', async () => {
    const kubeconfig = join(dir, 'unreachable.kubeconfig');
    await writeFile(kubeconfig, (await readFile(kube.kubeconfigPath, 'utf8')).replace(/server: .*/, 'server: http://127.0.0.1:1'));
    const { code, err } = await runCli('diff', '--repo', dir, '--cluster', 'eu-fra-1', '--kubeconfig', kubeconfig);
    expect(code).toBe(2);
    expect(err).toContain('KUBE_UNREACHABLE');
  });
});

describe('netfleet agent as a process', () => {
  it('serves its probes, and on SIGTERM finishes and exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'agent', ...target(), '--listen', `127.0.0.1:${port}`, '--interval', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let logs = '';
    child.stdout.on('data', (chunk) => (logs += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200), 30_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs).toContain('"msg":"stopping after the current step"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

async function eventually(check: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
