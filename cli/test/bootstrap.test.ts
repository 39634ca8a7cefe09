/**
 * `netfleet bootstrap` where it cannot finish: bad usage, a cluster with no credentials and
 * no bootstrap token, an agent that never reports (the timeout says what to check), a
 * cluster registered elsewhere. Its bootstrap token comes from `netfleet bootstrap-token create`. Against a real hub (real Redis) and the API test server.
 * The whole journey, with agents that do report, is test/e2e/bootstrap.test.ts.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '@netfleet/agent';
import { createLogger, type Credentials } from '@netfleet/shared';
import { Hub } from '@netfleet/hub';
import { deleteKeysWithPrefix, startKubeApiServer, type KubeApiServer } from '@netfleet/test';
import { runCli } from './io.js';

const ADMIN = 'cli-bootstrap-admin-token-0123456789';
const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = { apiVersion: 'v1', kind: 'Secret', namespace: 'netfleet-system', name: 'netfleet-hub' };

describe('netfleet bootstrap, when it cannot finish', () => {
  const prefix = `{nf-cli-bootstrap-${randomBytes(4).toString('hex')}}`;
  let hub: Hub;
  let hubUrl: string;
  let kube: KubeApiServer;
  let admin: KubeClient;
  let dir: string;
  let kubeconfig: string;
  let tokenFile: string;

  const bootstrap = (...extra: string[]) => runCli(
    'bootstrap', '--kubeconfig', kubeconfig, '--hub-url', hubUrl, '--repo', 'https://git.example.com/platform/fleet.git', ...extra,
  );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-bootstrap-cli-'));
    kube = await startKubeApiServer();
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeConfig().exportConfig(), { mode: 0o600 });
    admin = new KubeClient({ kubeConfig: kube.kubeConfig(), retry: { retries: 0 } });
    hub = new Hub({ redisUrl: REDIS_URL, prefix, secret: 'cli-bootstrap-hub-secret-0123456789abcdef', adminTokens: [ADMIN], logger: createLogger({ name: 'test', level: 'silent' }) });
    hubUrl = await (await hub.api()).listen({ host: '127.0.0.1', port: 0 });
    await hub.start();
    await writeFile(join(dir, 'admin-token'), ADMIN, { mode: 0o600 });
    tokenFile = join(dir, 'bootstrap-token');
    const created = await runCli('bootstrap-token', 'create', '--hub-url', hubUrl, '--token-file', join(dir, 'admin-token'), '--out', tokenFile, '--max-uses', '5', '--ttl', '600');
    expect({ code: created.code, err: created.err }).toEqual({ code: 0, err: '' });
    expect(created.out).toMatch(/^bootstrap token [0-9a-f]+ \(5 use\(s\), expires \S+\) written to \S+ \(mode 0600\)$/m);
    expect(created.out).not.toContain((await readFile(tokenFile, 'utf8')).trim());
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
  });

  afterAll(async () => {
    await hub?.close();
    await kube?.stop();
    await deleteKeysWithPrefix(REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
  });

  it('needs --hub-url, and a bootstrap token and region for a cluster without credentials; nothing is applied', async () => {
    const noHub = await runCli('bootstrap', '--cluster', 'c1', '--repo', 'https://git.example.com/fleet.git', '--kubeconfig', kubeconfig);
    expect(noHub.code).toBe(2);
    expect(noHub.err).toContain('bootstrap needs --hub-url');
    const noToken = await bootstrap('--cluster', 'c1', '--region', 'eu');
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('c1 has no credentials in this cluster (no Secret netfleet-system/netfleet-hub): registering it needs --bootstrap-token-file and --region');
    expect(await admin.get({ apiVersion: 'v1', kind: 'Namespace', name: 'netfleet-system' })).toBeUndefined();
  });

  it('installs the agent, then says what to check when no report reaches the hub in time; the credentials are in the Secret, not in the output', async () => {
    const { code, out, err } = await bootstrap('--cluster', 'quiet-1', '--region', 'eu', '--bootstrap-token-file', tokenFile, '--timeout', '2');
    expect(code, out).toBe(2);
    expect(out).toContain('registered quiet-1 with the hub (key generation 1)');
    expect(out).toContain('waiting for the first report of quiet-1 to reach the hub (up to 2 s)');
    expect(err).toContain('ERR CLI_BOOTSTRAP_NO_REPORT: quiet-1 has not reported to the hub within 2 s: the hub has the cluster registered (registered) but no report yet');
    expect(err).toContain('kubectl -n netfleet-system rollout status deployment/netfleet-agent');
    expect(err).toContain(`it must reach the hub at ${hubUrl}`);
    expect(await admin.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'netfleet-system', name: 'netfleet-agent' })).toBeDefined();
    const secret = (await admin.get(SECRET))!;
    const credentials = JSON.parse(Buffer.from((secret.data as Record<string, string>)['credentials.json']!, 'base64').toString()) as Credentials;
    for (const value of [credentials.apiToken, credentials.reportKey]) expect(out + err).not.toContain(value);
  });

  it('refuses a Secret holding another cluster\'s credentials, naming both', async () => {
    const { code, err } = await bootstrap('--cluster', 'other-1', '--region', 'eu', '--bootstrap-token-file', tokenFile, '--timeout', '2');
    expect(code).toBe(2);
    expect(err).toContain('the Secret netfleet-system/netfleet-hub holds the credentials of cluster quiet-1, not other-1');
  });

  it('says so when the cluster is registered but its credentials are not in the cluster', async () => {
    await admin.delete(SECRET);
    const { code, err } = await bootstrap('--cluster', 'quiet-1', '--region', 'eu', '--bootstrap-token-file', tokenFile, '--timeout', '2');
    expect(code).toBe(2);
    expect(err).toContain('ERR HUB_CLUSTER_EXISTS: quiet-1 is registered with the hub, but its credentials are not in this cluster (no Secret netfleet-system/netfleet-hub)');
  });
});
