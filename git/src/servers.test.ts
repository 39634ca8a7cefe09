import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@netfleet/shared';
import { startConnectProxy, startRedirectFront, startGitServer } from '@netfleet/test';
import { afterEach, describe, expect, it } from 'vitest';
import { GitErrorCode, GitSource } from './index.js';
import { cleanups, fixture, readText, runCleanups, tempDir } from './testing/fixture.js';

afterEach(runCleanups);

/** Set proxy variables for one test (both cases cleared first, as a CI machine may have some). */
function proxyEnv(values: Record<string, string>): void {
  const names = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'ALL_PROXY', 'all_proxy'];
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  Object.assign(process.env, values);
  cleanups.push(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

function collectLogs(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { lines, logger: createLogger({ name: 'test', level: 'debug', destination }) };
}

describe('protocol v2', () => {
  it('lists only the followed branch with ls-refs, so a poll does not grow with the refs on the server', async () => {
    const v2 = await fixture();
    const v0 = await fixture({ protocolV2: false });
    const polledBytes: Record<string, number> = {};
    for (const [name, { server, repo, head, source }] of Object.entries({ v2, v0 })) {
      await server.addRefs(repo, 'refs/pull/', 1000, head);
      const agent = source();
      await agent.snapshot();
      server.clearLog();
      expect(await agent.poll()).toEqual({ revision: head, changed: false });
      polledBytes[name] = server.requests.reduce((sum, request) => sum + request.responseBytes, 0);
      expect(server.requests.every((request) => request.gitProtocol === 'version=2')).toBe(true);
    }
    // v0 answers with all 1,001 refs (~60 kB); ls-refs with one line.
    expect(polledBytes.v0).toBeGreaterThan(40_000);
    expect(polledBytes.v2).toBeLessThan(polledBytes.v0! / 100);
  });

  it('fetches and deepens over protocol v2, leaving the same sound shallow cache', async () => {
    const { source, server, tree, head } = await fixture();
    for (let i = 0; i < 3; i += 1) {
      await tree.write({ 'fleet.yaml': `round: ${i}\n` });
      await tree.commit(`round ${i}`);
    }
    await tree.push();
    const agent = source();
    await agent.snapshot();
    const rollback = await agent.snapshot(head);
    expect(await readText(rollback.reader, 'fleet.yaml')).toBe('clusters: [a]\n');
    const posts = server.requests.filter((request) => request.method === 'POST');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((request) => request.gitProtocol === 'version=2')).toBe(true);
  });
});

describe('a server that requires multi_ack (Azure DevOps, TF401041)', () => {
  it('gets it asked for, and the fetch succeeds', async () => {
    const { source, head } = await fixture({ protocolV2: false, requireMultiAck: true });
    const snapshot = await source().snapshot();
    expect(snapshot.revision).toBe(head);
    expect(await readText(snapshot.reader, 'fleet.yaml')).toBe('clusters: [a]\n');
  });
});

describe('redirects', () => {
  it('follows a renamed repository (301 on the same host), warns, and sends later requests to the new address', async () => {
    const { server, head, cacheDir } = await fixture({ moved: { 'old-name': 'fleet' } });
    const { lines, logger } = collectLogs();
    const agent = new GitSource({ url: `${server.baseUrl}/old-name.git`, cacheDir, logger });
    cleanups.push(() => agent.close());

    const snapshot = await agent.snapshot();
    expect(snapshot.revision).toBe(head);
    expect(server.requests.map((r) => `${r.status} ${r.method} ${r.path}`)).toEqual([
      '301 GET /old-name.git/info/refs', '200 GET /fleet.git/info/refs',
      '200 POST /fleet.git/git-upload-pack', '200 POST /fleet.git/git-upload-pack',
    ]);
    expect(lines.join('')).toMatch(/redirects the repository; set the url to its new address/);
  });

  it('follows an http to https upgrade on the same host, with the credentials', async () => {
    const { server, head, source } = await fixture({ tls: true, auth: { token: 'upgrade-token' } });
    const front = await startRedirectFront((path) => `${server.baseUrl}${path}`);
    cleanups.push(() => front.close());
    const dir = await tempDir('netfleet-upgrade-');
    await writeFile(join(dir, 'ca.pem'), server.caPem ?? '');
    await writeFile(join(dir, 'token'), 'upgrade-token');

    const agent = source({ url: `${front.baseUrl}/fleet.git`, caFile: join(dir, 'ca.pem'), auth: { token: { file: join(dir, 'token') } } });
    // The server demands the token: the snapshot succeeding shows it went along to https.
    expect((await agent.snapshot()).revision).toBe(head);
    expect(front.requests.map((r) => r.line)).toEqual(['GET /fleet.git/info/refs?service=git-upload-pack']);
  });

  it('refuses to take credentials to another host, naming both addresses', async () => {
    const { server, source } = await fixture({ auth: { token: 'keep-me-home' } });
    // Same server, other host name: the redirect target is reachable, so only the policy stops it.
    const front = await startRedirectFront((path) => `http://localhost:${server.port}${path}`);
    cleanups.push(() => front.close());
    const tokenFile = join(await tempDir('netfleet-token-'), 'token');
    await writeFile(tokenFile, 'keep-me-home');

    const error = await source({ url: `${front.baseUrl}/fleet.git`, auth: { token: { file: tokenFile } } }).poll().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: GitErrorCode.RedirectRefused,
      message: expect.stringMatching(/redirects to http:\/\/localhost:\d+\/fleet.git\/info\/refs; not followed: it leads to another host/),
      hint: expect.stringContaining('set the url to its new address'),
    });
    expect(server.requests).toEqual([]);
  });

  it('gives up on a redirect loop after a bounded number of hops', async () => {
    const front = await startRedirectFront((path) => path);
    cleanups.push(() => front.close());
    const agent = new GitSource({ url: `${front.baseUrl}/fleet.git`, cacheDir: await tempDir('netfleet-loop-'), logger: createLogger({ name: 'test', level: 'silent' }) });
    cleanups.push(() => agent.close());
    await expect(agent.poll()).rejects.toMatchObject({ code: GitErrorCode.RedirectRefused, message: expect.stringContaining('more than 10 redirects') });
    expect(front.requests).toHaveLength(11);
  });
});

describe('an HTTP proxy from the environment', () => {
  it('tunnels https through HTTPS_PROXY with CONNECT', async () => {
    const { server, head, source } = await fixture({ tls: true });
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    proxyEnv({ HTTPS_PROXY: proxy.baseUrl });
    const caFile = join(await tempDir('netfleet-ca-'), 'ca.pem');
    await writeFile(caFile, server.caPem ?? '');

    expect((await source({ caFile }).snapshot()).revision).toBe(head);
    expect(proxy.requests.length).toBeGreaterThan(0);
    expect(proxy.requests.every((r) => r.line === `CONNECT 127.0.0.1:${server.port}`)).toBe(true);
  });

  it('sends http requests in absolute form to http_proxy (lower case, as curl reads it)', async () => {
    const { server, head, source } = await fixture();
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    proxyEnv({ http_proxy: proxy.baseUrl });

    expect((await source().snapshot()).revision).toBe(head);
    expect(proxy.requests.map((r) => r.line)).toEqual([
      `GET ${server.baseUrl}/fleet.git/info/refs?service=git-upload-pack`,
      `POST ${server.baseUrl}/fleet.git/git-upload-pack`,
      `POST ${server.baseUrl}/fleet.git/git-upload-pack`,
    ]);
  });

  it('goes direct to hosts NO_PROXY names', async () => {
    const { head, source } = await fixture();
    const proxy = await startConnectProxy();
    cleanups.push(() => proxy.close());
    proxyEnv({ HTTP_PROXY: proxy.baseUrl, HTTPS_PROXY: proxy.baseUrl, NO_PROXY: 'localhost,127.0.0.1' });

    expect((await source().snapshot()).revision).toBe(head);
    expect(proxy.requests).toEqual([]);
  });

  it('reports a proxy that cannot be reached as the network being down', async () => {
    const server = await startGitServer();
    cleanups.push(() => server.dispose());
    const proxy = await startConnectProxy();
    await proxy.close();
    proxyEnv({ HTTP_PROXY: proxy.baseUrl });
    const agent = new GitSource({ url: `${server.baseUrl}/fleet.git`, cacheDir: await tempDir('netfleet-proxy-'), logger: createLogger({ name: 'test', level: 'silent' }) });
    cleanups.push(() => agent.close());
    await expect(agent.poll()).rejects.toMatchObject({ code: GitErrorCode.Unreachable, transient: true });
  });
});
