import * as fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterEach, describe, expect, it } from 'vitest';
import { runGit } from './git-cli.js';
import { createWorkTree, type WorkTree } from './git-repo.js';
import { startGitServer, type GitServer, type GitServerRepo, type StartGitServerOptions } from './git-server.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serverWithRepo(options: StartGitServerOptions = {}): Promise<{ server: GitServer; repo: GitServerRepo; tree: WorkTree; head: string }> {
  const server = await startGitServer(options);
  cleanups.push(() => server.dispose());
  const repo = await server.createRepo('fleet');
  const tree = await createWorkTree(repo.dir);
  cleanups.push(() => tree.dispose());
  await tree.write({ 'clusters/a.yaml': 'name: a\n' });
  const head = await tree.commit('first');
  await tree.push();
  return { server, repo, tree, head };
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-clone-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function mainOf(info: { refs?: { ref: string; oid: string }[] }): string | undefined {
  return info.refs?.find((r) => r.ref === 'refs/heads/main')?.oid;
}

/** `git ls-remote` with the native client; resolves to its output or rejects with stderr. */
function lsRemote(url: string, env: Record<string, string> = {}): Promise<string> {
  return runGit(['ls-remote', url, 'refs/heads/main'], { env });
}

describe('when the git server runs', () => {
  it('starts within 1 s and serves a repository to native git and isomorphic-git', async () => {
    const begin = performance.now();
    const server = await startGitServer();
    cleanups.push(() => server.dispose());
    const repo = await server.createRepo('fleet');
    expect(performance.now() - begin).toBeLessThan(1_000);

    const tree = await createWorkTree(repo.dir);
    cleanups.push(() => tree.dispose());
    await tree.write({ 'a.txt': 'a\n' });
    const head = await tree.commit('first');
    await tree.push();

    expect(await lsRemote(repo.url)).toBe(`${head}\trefs/heads/main\n`);
    const info = await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url });
    expect(mainOf(info)).toBe(head);
  });

  it('logs each request with method, path, service, protocol header, response size and connection', async () => {
    const { server, repo } = await serverWithRepo();
    server.clearLog();
    await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url });
    expect(server.requests).toEqual([
      { method: 'GET', path: '/fleet.git/info/refs', service: 'git-upload-pack', contentEncoding: undefined, status: 200, gitProtocol: undefined, responseBytes: expect.any(Number), connection: expect.any(Number) },
    ]);
    expect(server.requests[0]!.responseBytes).toBeGreaterThan(100);
    expect(server.requests[0]!.connection).toBeGreaterThan(0);
  });

  it('clones through isomorphic-git with a full fetch over POST', async () => {
    const { server, repo, head } = await serverWithRepo();
    const dir = await tempDir();
    server.clearLog();
    await git.clone({ fs: fs, http, dir, url: repo.url, singleBranch: true, depth: 1 });
    expect(await git.resolveRef({ fs: fs, dir, ref: 'HEAD' })).toBe(head);
    expect(server.requests.map((r) => `${r.method} ${r.service}`)).toEqual(['GET git-upload-pack', 'POST git-upload-pack']);
  });

  it('inflates gzip request bodies that native git sends for large negotiations', async () => {
    const { server, repo, tree } = await serverWithRepo();
    const clone = await tempDir();
    await runGit(['clone', '--quiet', repo.url, clone]);
    // Local commits unknown to the server make the client send many "have" lines, gzipped.
    for (let i = 0; i < 40; i += 1) {
      await runGit(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '--allow-empty', '-m', `local ${i}`], { cwd: clone });
    }
    await tree.write({ 'b.txt': 'b\n' });
    const second = await tree.commit('second');
    await tree.push();
    server.clearLog();

    await runGit(['fetch', '--quiet', 'origin'], { cwd: clone });

    expect(server.requests.some((r) => r.contentEncoding === 'gzip' && r.status === 200)).toBe(true);
    expect((await runGit(['rev-parse', 'origin/main'], { cwd: clone })).trim()).toBe(second);
  });
});

describe('when a fault is switched on', () => {
  it('answers the next request with the injected status, visible to both clients as an HTTP error', async () => {
    const { server, repo, head } = await serverWithRepo();

    server.failNext(503);
    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url })).rejects.toMatchObject({ code: 'HttpError', data: { statusCode: 503 } });
    expect(mainOf(await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url }))).toBe(head);

    server.failNext(500);
    await expect(lsRemote(repo.url)).rejects.toThrow(/500/);
    expect(await lsRemote(repo.url)).toContain(head);
  });

  it('fails only the next request of the given method, so ref discovery passes and the pack request fails', async () => {
    const { server, repo, head } = await serverWithRepo();
    const dir = await tempDir();
    server.failNext(500, 'POST');
    expect(mainOf(await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url }))).toBe(head);
    await expect(git.clone({ fs, http, dir, url: repo.url, singleBranch: true, depth: 1 })).rejects.toMatchObject({ data: { statusCode: 500 } });
    expect(server.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'GET 200', 'POST 500']);
  });

  it('answers every request with the status under failAll until it is cleared', async () => {
    const { server, repo, head } = await serverWithRepo();
    server.failAll(502);
    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url })).rejects.toMatchObject({ data: { statusCode: 502 } });
    await expect(lsRemote(repo.url)).rejects.toThrow(/502/);
    server.failAll(undefined);
    expect(await lsRemote(repo.url)).toContain(head);
  });

  it('serves non-git data while garbage is on, which both clients refuse', async () => {
    const { server, repo } = await serverWithRepo();
    server.garbage(true);
    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url })).rejects.toMatchObject({ code: 'SmartHttpError' });
    await expect(lsRemote(repo.url)).rejects.toThrow(/not valid|not found|did you run git update-server-info/i);
    server.garbage(false);
    await expect(lsRemote(repo.url)).resolves.toContain('refs/heads/main');
  });

  it('refuses connections after stop() and serves again on the same port after start()', async () => {
    const { server, repo, head } = await serverWithRepo();
    await server.stop();
    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(lsRemote(repo.url)).rejects.toThrow(/Failed to connect|Connection refused/i);
    await server.start();
    expect(await lsRemote(repo.url)).toContain(head);
  });
});

describe('when the server requires credentials', () => {
  it.each([
    { kind: 'basic', auth: { username: 'fleet', password: 's3cret-pass' } },
    { kind: 'token', auth: { token: 'tok-123456' } },
  ])('refuses anonymous and wrong $kind credentials with 401 and accepts the right ones', async ({ auth }) => {
    const { server, repo, head } = await serverWithRepo({ auth });

    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url })).rejects.toMatchObject({ data: { statusCode: 401 } });
    await expect(git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url, onAuth: () => ({ username: 'fleet', password: 'wrong' }) }))
      .rejects.toMatchObject({ data: { statusCode: 401 } });
    await expect(lsRemote(repo.url)).rejects.toThrow(/could not read Username|Authentication failed|401/);

    const credentials = 'token' in auth ? { username: 'any', password: auth.token } : auth;
    const info = await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url, onAuth: () => credentials });
    expect(mainOf(info)).toBe(head);
    expect(await lsRemote(server.authenticatedUrl(repo))).toContain(head);
  });

  it('accepts a token sent as a Bearer header', async () => {
    const { repo, head } = await serverWithRepo({ auth: { token: 'tok-bearer' } });
    const info = await git.getRemoteInfo2({ http, protocolVersion: 1, url: repo.url, headers: { Authorization: 'Bearer tok-bearer' } });
    expect(mainOf(info)).toBe(head);
  });
});

describe('when TLS is on', () => {
  it('serves HTTPS that native git trusts only with the server CA', async () => {
    const { server, repo, head } = await serverWithRepo({ tls: true });
    expect(repo.url.startsWith('https://127.0.0.1:')).toBe(true);
    await expect(lsRemote(repo.url)).rejects.toThrow(/certificate|SSL/i);

    const caFile = join(await tempDir(), 'ca.pem');
    await writeFile(caFile, server.caPem ?? '');
    expect(await lsRemote(repo.url, { GIT_SSL_CAINFO: caFile })).toContain(head);
  });
});
