import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@netfleet/shared';
import { runGit, type GitServer } from '@netfleet/test';
import { afterEach, describe, expect, it } from 'vitest';
import { GitErrorCode, GitSource } from './index.js';
import { cleanups, fixture, readText, runCleanups, tempDir } from './testing/fixture.js';

afterEach(runCleanups);

describe('when the cache is empty', () => {
  it('fetches the branch head and reads its tree from the object store', async () => {
    const { source, head } = await fixture();
    const snapshot = await source().snapshot();

    expect(snapshot.revision).toBe(head);
    expect(await snapshot.reader.list()).toEqual([
      { path: 'clusters/a/deep/nested/policy.yaml', kind: 'file', size: 11 },
      { path: 'clusters/a/network.yaml', kind: 'file', size: 18 },
      { path: 'clusters/a/shared.yaml', kind: 'symlink', size: 16 },
      { path: 'fleet.yaml', kind: 'file', size: 14 },
    ]);
    expect(await readText(snapshot.reader, 'clusters/a/network.yaml')).toBe('cidr: 10.0.0.0/16\n');
    expect(await readText(snapshot.reader, 'clusters/a/shared.yaml')).toBe('../../fleet.yaml');
    await expect(snapshot.reader.read('missing.yaml')).rejects.toMatchObject({ code: GitErrorCode.NotFound });
  });

  it('fetches one commit deep, with no work tree', async () => {
    const { source, tree, cacheDir } = await fixture();
    await tree.write({ 'fleet.yaml': 'clusters: [a, b]\n' });
    const second = await tree.commit('second');
    await tree.push();

    await source().snapshot();

    expect((await readFile(join(cacheDir, 'shallow'), 'utf8')).trim()).toBe(second);
    await expect(readFile(join(cacheDir, 'fleet.yaml'))).rejects.toThrow(/ENOENT/);
  });

  it('leaves a cache that native git reads as a sound shallow repository', async () => {
    const { source, cacheDir, head } = await fixture();
    await source().snapshot();
    await runGit(['--git-dir', cacheDir, 'fsck', '--strict', '--no-dangling']);
    expect((await runGit(['--git-dir', cacheDir, 'rev-parse', 'refs/remotes/origin/main'])).trim()).toBe(head);
    expect(await runGit(['--git-dir', cacheDir, 'ls-tree', '-r', '--name-only', head])).toContain('clusters/a/deep/nested/policy.yaml');
  });
});

describe.each([
  { protocol: 'v2', protocolV2: true, pollRequests: ['POST /fleet.git/git-upload-pack'] },
  { protocol: 'v0', protocolV2: false, pollRequests: ['GET /fleet.git/info/refs'] },
])('when polling a server speaking $protocol', ({ protocolV2, pollRequests }) => {
  it('costs exactly one HTTP request and no fetch when the branch did not move', async () => {
    const { source, server, head } = await fixture({ protocolV2 });
    const agent = source();
    await agent.snapshot();
    server.clearLog();

    expect(await agent.poll()).toEqual({ revision: head, changed: false });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(pollRequests);
  });

  it('takes its requests in turn on one kept-alive connection: git http-backend\'s answers end when the CGI exits, after their last packet', async () => {
    const { source, server, head } = await fixture({ protocolV2 });
    const agent = source();
    await agent.snapshot();
    // More polls than the client's pool has connections (4): an answer left unread holds its connection.
    for (let poll = 0; poll < 8; poll += 1) expect(await agent.poll()).toEqual({ revision: head, changed: false });
    expect(server.requests.length).toBeGreaterThan(8);
    expect(new Set(server.requests.map((request) => request.connection))).toEqual(new Set([1]));
  });

  it('reports a moved branch in one request, and the snapshot then fetches only that', async () => {
    const { source, server, tree } = await fixture({ protocolV2 });
    const agent = source();
    await agent.snapshot();
    await tree.write({ 'fleet.yaml': 'clusters: [a, b]\n' });
    const second = await tree.commit('add b');
    await tree.push();
    server.clearLog();

    expect(await agent.poll()).toEqual({ revision: second, changed: true });
    expect(server.requests).toHaveLength(1);

    const snapshot = await agent.snapshot(second);
    expect(snapshot.revision).toBe(second);
    expect(await readText(snapshot.reader, 'fleet.yaml')).toBe('clusters: [a, b]\n');
    // The ref listing again, then the pack request.
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([...pollRequests, ...pollRequests, 'POST /fleet.git/git-upload-pack']);
    expect(await agent.poll()).toEqual({ revision: second, changed: false });
  });
});

describe('when the revision holds what the source cannot read', () => {
  it('warns naming the submodules and the Git LFS pointer files, and still returns the revision', async () => {
    const { source, tree } = await fixture();
    await tree.write({
      '.gitattributes': 'clusters/b/*.yaml filter=lfs diff=lfs merge=lfs -text\n',
      'clusters/b/network.yaml': 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n',
    });
    // A submodule as a fresh clone has it: a gitlink entry and an empty directory.
    await mkdir(join(tree.dir, 'vendor', 'shared-policies'), { recursive: true });
    await tree.git(['update-index', '--add', '--cacheinfo', `160000,${'a'.repeat(40)},vendor/shared-policies`]);
    const head = await tree.commit('submodule and lfs');
    await tree.push();
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });

    const snapshot = await source({ logger: createLogger({ name: 'test', level: 'info', destination }) }).snapshot();

    expect(snapshot.revision).toBe(head);
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; paths?: string[] }).filter((line) => line.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({ paths: ['vendor/shared-policies'], msg: expect.stringContaining('submodules, which are not fetched: vendor/shared-policies') }),
      expect.objectContaining({ paths: ['clusters/b/network.yaml'], msg: expect.stringContaining('Git LFS are only pointers here, not their content: clusters/b/network.yaml') }),
    ]);
  });
});

describe('when the agent restarts on the same cache directory', () => {
  it('does not fetch again what the cache holds', async () => {
    const { source, server, head } = await fixture();
    const first = source();
    await first.snapshot();
    first.close();
    server.clearLog();

    const restarted = source();
    expect(await restarted.poll()).toEqual({ revision: head, changed: false });
    const snapshot = await restarted.snapshot(head);

    expect(await readText(snapshot.reader, 'fleet.yaml')).toBe('clusters: [a]\n');
    // A new source learns the server's capabilities (GET), then lists the branch (v2 ls-refs).
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });
});

describe('when the cache on disk is damaged', () => {
  async function packFile(cacheDir: string): Promise<string> {
    const names = await readdir(join(cacheDir, 'objects', 'pack'));
    return join(cacheDir, 'objects', 'pack', names.find((name) => name.endsWith('.pack'))!);
  }

  it.each([
    { damage: 'a deleted pack', harm: async (pack: string) => rm(pack) },
    { damage: 'overwritten pack bytes', harm: async (pack: string) => {
      const bytes = await readFile(pack);
      bytes.fill(0x42, 12, bytes.length - 20);
      await writeFile(pack, bytes);
    } },
  ])('fetches afresh after $damage and still returns the revision', async ({ harm }) => {
    const { source, server, cacheDir, head } = await fixture();
    const first = source();
    await first.snapshot();
    first.close();
    await harm(await packFile(cacheDir));
    server.clearLog();

    const snapshot = await source().snapshot(head);

    expect(await readText(snapshot.reader, 'fleet.yaml')).toBe('clusters: [a]\n');
    // Capabilities, ls-refs, the pack.
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'POST']);
  });
});

describe('when a revision older than the head is asked for', () => {
  it('deepens the shallow history step by step until the revision is there', async () => {
    const { source, server, tree, head } = await fixture();
    for (let i = 0; i < 30; i += 1) {
      await tree.write({ 'fleet.yaml': `clusters: [a]\nround: ${i}\n` });
      await tree.commit(`round ${i}`);
    }
    await tree.push();
    const agent = source();
    await agent.snapshot();
    server.clearLog();

    const rollback = await agent.snapshot(head);

    expect(rollback.revision).toBe(head);
    expect(await readText(rollback.reader, 'fleet.yaml')).toBe('clusters: [a]\n');
    // The head is cached already: one ref listing, then two deepening steps (16, then 32
    // commits), each a ref listing and a pack request.
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(5);
  });

  it('fails with AGENT_GIT_REVISION_NOT_FOUND when the revision left the branch', async () => {
    const { source, tree, head } = await fixture();
    await tree.write({ 'fleet.yaml': 'clusters: [gone]\n' });
    const abandoned = await tree.commit('abandoned');
    await tree.push();
    await tree.resetHard(head);
    await tree.write({ 'fleet.yaml': 'clusters: [kept]\n' });
    await tree.commit('rewritten');
    await tree.push({ force: true });

    const error = await source({ maxDepth: 8 }).snapshot(abandoned).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: GitErrorCode.RevisionNotFound, hint: expect.stringMatching(/force-pushed/) });
    expect((error as Error).message).toContain(abandoned);
  });

  it('refuses something that is not a full commit sha', async () => {
    const { source } = await fixture();
    await expect(source().snapshot('main')).rejects.toMatchObject({ code: GitErrorCode.RevisionNotFound });
  });
});

describe('when the server fails', () => {
  it.each([
    { fault: 'is stopped', inject: (s: GitServer) => s.stop(), code: GitErrorCode.Unreachable, status: undefined },
    { fault: 'answers 500', inject: (s: GitServer) => s.failAll(500), code: GitErrorCode.ServerError, status: 500 },
    { fault: 'answers 429', inject: (s: GitServer) => s.failAll(429), code: GitErrorCode.ServerError, status: 429 },
    { fault: 'answers 404', inject: (s: GitServer) => s.failAll(404), code: GitErrorCode.NotFound, status: 404 },
    { fault: 'answers garbage', inject: (s: GitServer) => s.garbage(true), code: GitErrorCode.GarbageResponse, status: undefined },
  ])('raises $code when the server $fault, for poll and snapshot', async ({ inject, code, status }) => {
    const { source, server } = await fixture();
    await inject(server);
    const agent = source();
    await expect(agent.poll()).rejects.toMatchObject({ code, status, hint: expect.any(String) });
    await expect(agent.snapshot()).rejects.toMatchObject({ code });
  });

  it('fails the pack request alone as a server error, and succeeds once the server recovers', async () => {
    const { source, server, head } = await fixture();
    const agent = source();
    const ref = await agent.poll();
    server.failNext(503);
    // snapshot(revision) skips the ref request, so the fetch's discovery request gets the 503.
    await expect(agent.snapshot(ref.revision)).rejects.toMatchObject({ code: GitErrorCode.ServerError, status: 503, transient: true });
    expect((await agent.snapshot(ref.revision)).revision).toBe(head);
  });

  it.each([
    { fault: 'an error status', inject: (s: GitServer) => s.failNext(500, 'POST'), code: GitErrorCode.ServerError },
    { fault: 'non-git data', inject: (s: GitServer) => s.garbage(true, 'POST'), code: GitErrorCode.GarbageResponse },
  ])('raises $code when only the pack request gets $fault, and stores nothing', async ({ inject, code }) => {
    const { source, server, cacheDir } = await fixture();
    inject(server);
    await expect(source().snapshot()).rejects.toMatchObject({ code });
    expect(server.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(await readdir(join(cacheDir, 'objects', 'pack'))).toEqual([]);
  });

  it('gives up on a server that accepts the connection but never answers, as unreachable', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { silent.closeAllConnections(); silent.close(() => resolve()); }));
    const { port } = silent.address() as AddressInfo;
    const agent = new GitSource({
      url: `http://127.0.0.1:${port}/fleet.git`, cacheDir: await tempDir('netfleet-cache-'), timeoutMs: 200,
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    cleanups.push(() => agent.close());
    await expect(agent.poll()).rejects.toMatchObject({ code: GitErrorCode.Unreachable, transient: true });
  });

  it('names a missing branch and a missing repository as not found', async () => {
    const { source, server } = await fixture();
    await expect(source({ branch: 'nope' }).poll()).rejects.toMatchObject({ code: GitErrorCode.NotFound, message: expect.stringContaining('nope') });
    await expect(source({ branch: 'nope' }).snapshot()).rejects.toMatchObject({ code: GitErrorCode.NotFound });
    await expect(source({ url: `${server.baseUrl}/other.git` }).poll()).rejects.toMatchObject({ code: GitErrorCode.NotFound });
  });
});

describe('when the server requires credentials', () => {
  it('sends a token read from a file, up front, so a poll stays one request', async () => {
    const { source, server, head } = await fixture({ auth: { token: 'tok-from-file' } });
    const tokenFile = join(await tempDir('netfleet-secret-'), 'token');
    await writeFile(tokenFile, 'tok-from-file\n');
    const agent = source({ auth: { token: { file: tokenFile } } });

    expect((await agent.snapshot()).revision).toBe(head);
    server.clearLog();
    expect((await agent.poll()).changed).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('sends a user name and password read from the environment', async () => {
    const { source, head } = await fixture({ auth: { username: 'fleet', password: 'pw-from-env' } });
    process.env.NETFLEET_TEST_GIT_PASSWORD = 'pw-from-env';
    cleanups.push(() => { delete process.env.NETFLEET_TEST_GIT_PASSWORD; });
    const agent = source({ auth: { username: 'fleet', password: { env: 'NETFLEET_TEST_GIT_PASSWORD' } } });
    expect((await agent.poll()).revision).toBe(head);
  });

  it('fails with AGENT_GIT_AUTH_FAILED on a wrong token and never shows the token in errors or logs', async () => {
    const { repo, cacheDir } = await fixture({ auth: { token: 'right-token' } });
    const secret = 'wrong-token-9f8e7d';
    process.env.NETFLEET_TEST_GIT_TOKEN = secret;
    cleanups.push(() => { delete process.env.NETFLEET_TEST_GIT_TOKEN; });
    const lines: string[] = [];
    const destination = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
    const agent = new GitSource({
      url: repo.url, cacheDir, auth: { token: { env: 'NETFLEET_TEST_GIT_TOKEN' } },
      logger: createLogger({ name: 'test', level: 'debug', destination }),
    });
    cleanups.push(() => agent.close());

    const errors = [await agent.poll().catch((e: unknown) => e), await agent.snapshot().catch((e: unknown) => e)];

    for (const error of errors) {
      expect(error).toMatchObject({ code: GitErrorCode.AuthFailed, status: 401 });
      const shown = JSON.stringify({ message: (error as Error).message, hint: (error as { hint?: string }).hint, cause: String((error as Error).cause) });
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(Buffer.from(`x-access-token:${secret}`).toString('base64'));
    }
    expect(lines.join('')).not.toContain(secret);
  });

  it('fails with AGENT_GIT_AUTH_FAILED when the token file is missing', async () => {
    const { source } = await fixture({ auth: { token: 't' } });
    await expect(source({ auth: { token: { file: '/nonexistent/token' } } }).poll())
      .rejects.toMatchObject({ code: GitErrorCode.AuthFailed, message: expect.stringContaining('/nonexistent/token') });
  });
});

describe('when the server uses TLS', () => {
  it('trusts the server with the CA bundle given in caFile, and fails with AGENT_GIT_TLS without it', async () => {
    const { source, server, head } = await fixture({ tls: true });
    await expect(source().poll()).rejects.toMatchObject({ code: GitErrorCode.Tls, hint: expect.stringContaining('caFile') });

    const caFile = join(await tempDir('netfleet-ca-'), 'ca.pem');
    await writeFile(caFile, server.caPem ?? '');
    const snapshot = await source({ caFile }).snapshot();
    expect(snapshot.revision).toBe(head);
  });
});

describe('when the options are wrong', () => {
  it.each([
    { options: { url: 'https://user:pw@git.example/fleet.git' }, message: /must not contain credentials/ },
    { options: { url: 'ftp://git.example/fleet.git' }, message: /is not a repository URL/ },
    { options: { url: 'not a url' }, message: /is not a repository URL/ },
    { options: { url: 'ssh://git.example/fleet.git' }, message: /needs an SSH key/ },
    { options: { url: 'git@git.example:org/fleet.git', auth: { sshKey: { file: '/k' } } }, message: /needs a knownHostsFile/ },
    { options: { url: 'ssh://git:pw@git.example/fleet.git', auth: { sshKey: { file: '/k' } }, knownHostsFile: '/kh' }, message: /must not contain a password/ },
    { options: { auth: { sshKey: { file: '/k' } } }, message: /SSH key is configured for an https URL/ },
    { options: { depth: 0 }, message: /depth must be a positive integer/ },
    { options: { caFile: '/nonexistent/ca.pem' }, message: /caFile \/nonexistent\/ca.pem cannot be read/ },
    { options: { verification: { mode: 'enforce' as const } }, message: /needs at least one trusted key/ },
  ])('refuses $options with AGENT_GIT_CONFIG', ({ options, message }) => {
    expect(() => new GitSource({ url: 'https://git.example/fleet.git', cacheDir: '/tmp/unused', ...options }))
      .toThrow(expect.objectContaining({ code: GitErrorCode.Config, message: expect.stringMatching(message) }));
  });
});
