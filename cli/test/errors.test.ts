/**
 * Bad input never crashes the CLI: each mistake is one `ERR CODE: message` line with a hint,
 * exit code 2, and no stack trace; a reader closing the pipe early ends it quietly.
 */
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, sharedRedis } from '@netfleet/test';
import { runCli } from './io.js';
import { SOURCE_BIN } from './process.js';

const EXAMPLE_FLEET = join(import.meta.dirname, '..', '..', 'examples', 'fleet');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-cli-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const diff = (kubeconfig: string) => runCli('diff', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1', '--kubeconfig', kubeconfig);

describe('a user error is one clear line and exit 2', () => {
  it('diff --kubeconfig naming a file that does not exist', async () => {
    const { code, err } = await diff('/nonexistent');
    expect(err).toBe('ERR KUBE_CONFIG_INVALID: cannot read the kubeconfig /nonexistent: no such file or directory\n  hint: check --kubeconfig (or KUBECONFIG)\n');
    expect(code).toBe(2);
  });

  it('diff with a kubeconfig that is not YAML', async () => {
    await writeFile(join(dir, 'broken'), 'clusters: [unclosed\n');
    const { code, err } = await diff(join(dir, 'broken'));
    expect(err).toMatch(new RegExp(`^ERR KUBE_CONFIG_INVALID: cannot read the kubeconfig ${join(dir, 'broken')}: not a valid kubeconfig: .+\\n  hint: check --kubeconfig \\(or KUBECONFIG\\)\\n$`));
    expect(code).toBe(2);
  });

  it('diff with a kubeconfig without a current context (client-node: "No active cluster!")', async () => {
    await writeFile(join(dir, 'no-context'), [
      'apiVersion: v1', 'kind: Config', 'clusters: [{name: prod, cluster: {server: "https://127.0.0.1:6443"}}]',
      'users: [{name: admin, user: {token: t}}]', 'contexts: [{name: admin@prod, context: {cluster: prod, user: admin}}]', '',
    ].join('\n'));
    const { code, err } = await diff(join(dir, 'no-context'));
    expect(err).toBe(`ERR KUBE_CONFIG_INVALID: cannot use the kubeconfig ${join(dir, 'no-context')}: it has no current context\n  hint: choose one with kubectl config use-context NAME (contexts: admin@prod)\n`);
    expect(code).toBe(2);
  });

  it('clusters --hub-url that is not a URL', async () => {
    const { code, err } = await runCli('clusters', '--hub-url', 'not-a-url', '--token-file', '/dev/null');
    expect(err).toBe('ERR CLI_HUB_URL_INVALID: --hub-url is "not-a-url"; expected an http:// or https:// URL\n  hint: e.g. --hub-url https://netfleet-hub.example.com\n');
    expect(code).toBe(2);
  });

  it('register --hub-url that is not http(s)', async () => {
    const { code, err } = await runCli('register', '--hub-url', 'ftp://hub', '--bootstrap-token-file', '/dev/null', '--cluster', 'a', '--region', 'eu', '--credentials-file', join(dir, 'c.json'));
    expect(err).toBe('ERR CLI_HUB_URL_INVALID: --hub-url is "ftp://hub"; expected an http:// or https:// URL\n  hint: e.g. --hub-url https://netfleet-hub.example.com\n');
    expect(code).toBe(2);
  });

  it('clusters --token-file naming a file that does not exist', async () => {
    const { code, err } = await runCli('clusters', '--hub-url', 'http://127.0.0.1:9', '--token-file', '/nonexistent');
    expect(err).toBe('ERR CLI_FILE_UNREADABLE: cannot read /nonexistent (--token-file): no such file or directory\n  hint: check --token-file\n');
    expect(code).toBe(2);
  });

  it('register --bootstrap-token-file naming a file that does not exist', async () => {
    const { code, err } = await runCli('register', '--hub-url', 'http://127.0.0.1:9', '--bootstrap-token-file', '/nonexistent', '--cluster', 'a', '--region', 'eu', '--credentials-file', join(dir, 'c.json'));
    expect(err).toBe('ERR CLI_FILE_UNREADABLE: cannot read /nonexistent (--bootstrap-token-file): no such file or directory\n  hint: check --bootstrap-token-file\n');
    expect(code).toBe(2);
  });
});

describe('other bad input found by trying', () => {
  it('agent --config that is not YAML names the file, line and column', async () => {
    await writeFile(join(dir, 'agent.yaml'), 'repo: [unclosed\n');
    const { code, err } = await runCli('agent', '--once', '--config', join(dir, 'agent.yaml'));
    expect(err).toBe(`ERR AGENT_CONFIG: ${join(dir, 'agent.yaml')}:2:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n  hint: fix the YAML of the --config file\n`);
    expect(code).toBe(2);
  });

  it('hub --config that is not YAML names the file, line and column', async () => {
    await writeFile(join(dir, 'hub.yaml'), 'redisUrl: [unclosed\n');
    const { code, err } = await runCli('hub', '--config', join(dir, 'hub.yaml'));
    expect(err).toBe(`ERR HUB_CONFIG_INVALID: ${join(dir, 'hub.yaml')}:2:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n  hint: fix the YAML of the --config file\n`);
    expect(code).toBe(2);
  });

  it('agent --trusted-key naming a file that does not exist', async () => {
    const { code, err } = await runCli('agent', '--once', '--repo', 'https://git.example.com/fleet.git', '--cluster', 'eu-fra-1', '--trusted-key', '/nonexistent');
    expect(err).toBe('ERR AGENT_CONFIG: cannot read the trusted key /nonexistent: no such file or directory\n  hint: pass an existing public key file with --trusted-key\n');
    expect(code).toBe(2);
  });

  it('diff with no kubeconfig at all (client-node would try http://localhost:8080)', async () => {
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
    process.env.HOME = dir;
    delete process.env.KUBECONFIG;
    try {
      const { code, err } = await runCli('diff', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1');
      expect(err).toBe(`ERR KUBE_CONFIG_INVALID: no kubeconfig: none given, KUBECONFIG is not set and ${join(dir, '.kube', 'config')} does not exist\n  hint: pass --kubeconfig FILE, set KUBECONFIG, or use --in-cluster in a pod\n`);
      expect(code).toBe(2);
    } finally {
      Object.assign(process.env, saved);
      if (saved.KUBECONFIG === undefined) delete process.env.KUBECONFIG;
    }
  });
});

describe('the agent\'s probe address', () => {
  const kubeconfig = () => join(dir, 'unreachable.kubeconfig');
  beforeAll(async () => {
    await writeFile(kubeconfig(), [
      'apiVersion: v1', 'kind: Config', 'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: u, user: {token: t}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
    ].join('\n'));
  });

  it('agent --listen with a port out of range', async () => {
    const { code, err } = await runCli('agent', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1', '--kubeconfig', kubeconfig(), '--listen', '127.0.0.1:99999');
    expect(err).toBe('ERR AGENT_CONFIG: option listen is "127.0.0.1:99999"; expected host:port with a port from 0 to 65535\n  hint: fix --listen or NETFLEET_LISTEN, e.g. 0.0.0.0:8080\n');
    expect(code).toBe(2);
  });

  it('agent --listen on an address already in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      const { code, err } = await runCli('agent', '--repo', EXAMPLE_FLEET, '--cluster', 'eu-fra-1', '--kubeconfig', kubeconfig(), '--listen', `127.0.0.1:${port}`);
      expect(err).toBe(`ERR AGENT_CONFIG: cannot serve /healthz, /readyz and /metrics on 127.0.0.1:${port}: the address is already in use\n  hint: pick another address with --listen or NETFLEET_LISTEN\n`);
      expect(code).toBe(2);
    } finally {
      busy.close();
    }
  });
});

describe('the hub\'s API address', () => {
  it('hub --listen on an address already in use stops the hub and says so', async () => {
    const redis = sharedRedis('cli-errors');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    await writeFile(join(dir, 'secret'), 'errors-hub-secret-0123456789abcdef\n');
    await writeFile(join(dir, 'hub-busy.yaml'), [`redisUrl: ${redis.url}`, `prefix: "{${redis.prefix}}"`, `listen: 127.0.0.1:${port}`, `secretFile: ${join(dir, 'secret')}`, ''].join('\n'));
    try {
      const { code, err } = await runCli('hub', '--config', join(dir, 'hub-busy.yaml'), '--log-level', 'silent');
      expect(err).toBe(`ERR HUB_CONFIG_INVALID: cannot serve the hub API on 127.0.0.1:${port}: the address is already in use\n  hint: pick another address with --listen or NETFLEET_HUB_LISTEN\n`);
      expect(code).toBe(2);
    } finally {
      busy.close();
      await deleteKeysWithPrefix(redis.url, `{${redis.prefix}}`);
    }
  });
});

describe('when the reader closes the pipe early', () => {
  it('`render --all -o yaml | head -1` ends quietly with exit 0', async () => {
    // The shell pipeline users type; the render (about 100 kB) outgrows the pipe's buffer, so
    // the CLI is still writing when head exits.
    const script = `"${process.execPath}" "${SOURCE_BIN}" render --repo "${EXAMPLE_FLEET}" --all -o yaml 2>"${join(dir, 'stderr')}" | head -1; echo "exit \${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    expect(out).toBe('clusters:\nexit 0\n');
    expect(await readFile(join(dir, 'stderr'), 'utf8')).toBe('');
  }, 120_000);
});
