import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix } from '@netfleet/test';
import type { Metafile } from 'esbuild';
import { bundle, CLI_ENTRY, DIST_DIR, EXTERNAL, LOADED_AT_FIRST_USE, METAFILE, SOURCES_FILE, firstUseVersionMismatch } from '../../scripts/build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = process.env.NETFLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'bundle-admin-token-0123456789';
const run = promisify(execFile);

describe('the production bundle (pnpm build)', () => {
  let outdir: string;
  let file: string;

  beforeAll(async () => {
    // Under dist/, like `pnpm build`, so the external packages resolve from the root's node_modules.
    await mkdir(DIST_DIR, { recursive: true });
    outdir = await mkdtemp(join(DIST_DIR, 'test-'));
    [file] = (await bundle({ entries: CLI_ENTRY, outdir })) as [string];
  });

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('runs on plain node: --help lists every command', async () => {
    const { stdout } = await run(process.execPath, [file, '--help']);
    expect(stdout).toContain('Usage: netfleet');
    for (const command of ['render', 'validate', 'agent', 'hub', 'register', 'rollout']) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('loads for `netfleet agent` neither the hub\'s Redis clients nor what only some agents or commands need, nor client-node\'s generated models', async () => {
    const { outputs } = JSON.parse(await readFile(join(outdir, METAFILE), 'utf8')) as Metafile;
    const agentChunk = Object.entries(outputs).find(([, chunk]) => chunk.entryPoint === 'cli/src/commands/agent.ts')?.[0];
    expect(agentChunk).toBeDefined();
    // What loads when the agent command runs: the entry's and the command chunk's static imports, transitively.
    const loaded = new Set<string>();
    const pending = [relative(ROOT, file).split(sep).join('/'), agentChunk!];
    while (pending.length > 0) {
      const next = pending.pop()!;
      if (loaded.has(next)) continue;
      loaded.add(next);
      for (const imported of outputs[next]?.imports ?? []) if (imported.kind === 'import-statement') pending.push(imported.path);
    }
    const inputs = [...loaded].filter((path) => outputs[path]).flatMap((path) => Object.keys(outputs[path]!.inputs));
    const externals = [...loaded].filter((path) => !outputs[path]);
    expect(externals.filter((path) => ['bullmq', 'ioredis', 'ssh2', 'openpgp'].includes(path))).toEqual([]);
    expect(inputs.filter((input) => /\/(bullmq|ioredis|openpgp)\//.test(input))).toEqual([]);
    // isomorphic-git and pako only for `netfleet preview`; tr46 (under whatwg-url) not at all: the bundle gives node-fetch node's URL.
    expect(inputs.filter((input) => /\/(isomorphic-git|pako|whatwg-url|tr46)\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.includes('@kubernetes/client-node/dist/gen/models/'))).toEqual([]);
    // openid-client (OIDC kubeconfig users) is a chunk of its own, imported at first use.
    expect(inputs.filter((input) => /\/(openid-client|oauth4webapi)\//.test(input))).toEqual([]);
    // Packages that run at first use only stay in node_modules: neither they nor their dependencies are in what loads.
    expect(inputs.filter((input) => /\/node_modules\/(ajv|fast-uri|js-yaml|socks-proxy-agent|socks|ip-address|smart-buffer|jsonpath-plus|@opentelemetry\/api)\//.test(input))).toEqual([]);
    expect(inputs).toContain('agent/src/kube/client.ts');
  });

  it('runs client-node\'s optional packages and prom-client\'s @opentelemetry/api, which it loads at first use, as the sources do', async () => {
    const fixture = join(ROOT, 'agent/test/fixtures/optional-packages.ts');
    const [bundled] = await bundle({ entries: { 'optional-packages': fixture }, outdir: join(outdir, 'optional-packages') });
    const fromBundle = JSON.parse((await run(process.execPath, [bundled!])).stdout) as Record<string, unknown>;
    const fromSources = JSON.parse((await run(process.execPath, ['--import', 'tsx', fixture], { cwd: ROOT })).stdout) as Record<string, unknown>;
    expect(fromBundle).toEqual(fromSources);
    // A kubeconfig parsed by js-yaml, the SOCKS proxy agent's proxy, a gcp token read by JSONPath, openid-client's own refusal, exemplars read from the OpenTelemetry API.
    expect(fromBundle).toMatchObject({ kubeconfigServer: 'https://127.0.0.1:6443', socksProxy: { host: '127.0.0.1', port: 1080, type: 5 }, gcpAuthorization: 'Bearer from-gcp', oidcError: expect.stringMatching(/instance of URL/), cpuMetric: true });
  });

  it('lists the dashboard\'s sources among those it was built from, so the bin notices a dashboard edited since', async () => {
    const sources = JSON.parse(await readFile(join(outdir, SOURCES_FILE), 'utf8')) as string[];
    // `pnpm install` built the dashboard into ui/dist (the bundle carries it as ui/) with its list of sources.
    expect(await readFile(join(outdir, 'ui/index.html'), 'utf8')).toContain('/ui/assets/');
    expect(sources).toEqual(expect.arrayContaining(['ui/index.html', 'ui/vite.config.ts', 'ui/src/main.tsx', 'ui/src/pages/cluster.tsx', 'ui/src/style.css', 'cli/src/run.ts']));
    expect(sources.filter((source) => source.startsWith('..') || source.includes('node_modules/'))).toEqual([]);
  });

  it('renders a cluster of the example fleet', async () => {
    const { stdout } = await run(process.execPath, [file, 'render', '--repo', 'examples/fleet', '--cluster', 'eu-fra-1'], { cwd: ROOT });
    expect(stdout).toMatch(/^kind: ModuleConfig$/m);
    expect(stdout).toContain('name: cni-cilium');
  });

  it('explains a fleet value that fails its schema (with ajv, which loads at the first such value)', async () => {
    const fleet = join(outdir, 'broken-fleet');
    await cp(join(ROOT, 'examples/fleet'), fleet, { recursive: true });
    const ingress = join(fleet, 'network/ingress.yaml');
    await writeFile(ingress, (await readFile(ingress, 'utf8')).replace('inlet: LoadBalancer', 'inlet: Teleport'));
    const failed = await run(process.execPath, [file, 'validate', '--repo', fleet]).then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^network\/ingress\.yaml:\d+:\d+ CONFIG_INVALID_VALUE spec\.inlet: found "Teleport", expected one of "LoadBalancer", /m);
  });

  describe('`hub`, against Redis', () => {
    const prefix = `{nf-bundle-${randomBytes(4).toString('hex')}}`;
    let hub: ChildProcess;
    let url: string;

    beforeAll(async () => {
      await writeFile(join(outdir, 'secret'), 'bundle-hub-secret-0123456789abcdef\n');
      await writeFile(join(outdir, 'admin-tokens'), `${ADMIN}\n`);
      await writeFile(join(outdir, 'hub.yaml'), [
        `redisUrl: ${REDIS_URL}`, `prefix: "${prefix}"`, 'listen: 127.0.0.1:0',
        `secretFile: ${join(outdir, 'secret')}`, `adminTokensFile: ${join(outdir, 'admin-tokens')}`, '',
      ].join('\n'));
      hub = spawn(process.execPath, [file, 'hub', '--config', join(outdir, 'hub.yaml'), '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      hub.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      const listening = new Promise<string>((resolve, reject) => {
        hub.stdout!.on('data', () => {
          const match = /listening on (\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        hub.once('exit', (code) => reject(new Error(`the bundled hub exited with ${code} before listening: ${out}`)));
      });
      url = await listening;
    });

    afterAll(async () => {
      if (hub.exitCode === null) {
        hub.kill('SIGTERM');
        await once(hub, 'exit');
      }
      await deleteKeysWithPrefix(REDIS_URL, prefix);
    });

    it('serves its API, runs its Lua commands and stops on SIGTERM', async () => {
      const health = await fetch(`${url}/healthz`).then((response) => response.json() as Promise<{ version: string }>);
      const { version } = JSON.parse(await readFile(join(ROOT, 'hub/package.json'), 'utf8')) as { version: string };
      expect(health).toEqual({ status: 'ok', version });
      // Registration runs register-cluster-3.lua, read from the Lua files next to the bundle.
      const bootstrap = await fetch(`${url}/api/v1/bootstrap-tokens`, {
        method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttlSeconds: 60, maxUses: 1 }),
      }).then((response) => response.json() as Promise<{ token: string }>);
      const registered = await fetch(`${url}/api/v1/register`, {
        method: 'POST', headers: { authorization: `Bearer ${bootstrap.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cluster: 'eu-fra-1', region: 'eu', labels: {} }),
      });
      expect(registered.ok).toBe(true);
      expect(await registered.json()).toMatchObject({ cluster: 'eu-fra-1' });
      hub.kill('SIGTERM');
      const [code] = (await once(hub, 'exit')) as [number | null];
      expect(code).toBe(0);
    });
  });
});

describe('packages the bundle loads from node_modules at first use', () => {
  const clientNode = dirname(createRequire(join(ROOT, 'agent/package.json')).resolve('@kubernetes/client-node'));
  const shared = join(ROOT, 'shared');

  it('are, from the root, the versions their importers resolve (client-node, prom-client, @netfleet/shared)', () => {
    const prom = dirname(createRequire(join(ROOT, 'agent/package.json')).resolve('prom-client'));
    const importers: Record<string, string> = { ajv: shared, 'js-yaml': clientNode, 'socks-proxy-agent': clientNode, 'jsonpath-plus': clientNode, '@opentelemetry/api': prom };
    expect(Object.keys(importers).sort()).toEqual([...LOADED_AT_FIRST_USE].sort());
    for (const [name, importer] of Object.entries(importers)) expect(firstUseVersionMismatch(name, importer)).toBeUndefined();
  });

  it('are, with the other externals, exactly the root package.json\'s dependencies (what the image installs beside the bundle)', async () => {
    const { dependencies } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(dependencies).sort()).toEqual([...EXTERNAL, ...LOADED_AT_FIRST_USE].sort());
  });

  it('refuses another version than the root holds, naming both', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'nf-first-use-'));
    try {
      await mkdir(join(elsewhere, 'node_modules/js-yaml'), { recursive: true });
      await writeFile(join(elsewhere, 'node_modules/js-yaml/package.json'), '{"name":"js-yaml","version":"3.0.0","main":"index.js"}');
      await writeFile(join(elsewhere, 'node_modules/js-yaml/index.js'), 'module.exports = {};');
      const mismatch = firstUseVersionMismatch('js-yaml', elsewhere);
      const atRunTime = realpathSync(createRequire(join(ROOT, 'package.json')).resolve('js-yaml'));
      expect(mismatch).toBe(`js-yaml: ${relative(ROOT, elsewhere)} imports ${realpathSync(join(elsewhere, 'node_modules/js-yaml/index.js'))}, but the bundle would load ${atRunTime} at run time; `
        + 'list it in the root package.json at the version its importer resolves');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
