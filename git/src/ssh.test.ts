import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { createLogger } from '@netfleet/shared';
import { runGit, runTool, sshdAvailable, startSshGitServer, type SshGitServer } from '@netfleet/test';
import { afterEach, describe, expect, it } from 'vitest';
import { GitErrorCode, GitSource, type GitSourceOptions } from './index.js';
import { cleanups, fixture, readText, runCleanups, tempDir, type Fixture } from './testing/fixture.js';

afterEach(runCleanups);

/** The fleet repository served over HTTP (for pushing) and by a real sshd with a deploy key. */
async function sshFixture(): Promise<Fixture & { sshd: SshGitServer; sshSource(options?: Partial<GitSourceOptions>): GitSource }> {
  const base = await fixture();
  const sshd = await startSshGitServer(dirname(base.repo.dir));
  cleanups.push(() => sshd.dispose());
  return {
    ...base,
    sshd,
    sshSource(options = {}) {
      const source = new GitSource({
        url: sshd.url('fleet'), cacheDir: base.cacheDir, knownHostsFile: sshd.knownHostsFile,
        auth: { sshKey: { file: sshd.deployKey.privateKeyFile } },
        logger: createLogger({ name: 'test', level: 'silent' }), ...options,
      });
      cleanups.push(() => source.close());
      return source;
    },
  };
}

describe.skipIf(!sshdAvailable())('over SSH with a deploy key (real sshd; .ci/run installs openssh-server)', () => {
  it('fetches, polls and deepens through git-upload-pack, leaving a sound cache', async () => {
    const { sshSource, tree, head, cacheDir } = await sshFixture();
    await tree.write({ 'fleet.yaml': 'clusters: [a, b]\n' });
    const second = await tree.commit('add b');
    await tree.push();
    const agent = sshSource();

    const snapshot = await agent.snapshot();
    expect(snapshot.revision).toBe(second);
    expect(await readText(snapshot.reader, 'fleet.yaml')).toBe('clusters: [a, b]\n');
    expect(await agent.poll()).toEqual({ revision: second, changed: false });
    expect((await agent.snapshot(head)).revision).toBe(head);
    await runGit(['--git-dir', cacheDir, 'fsck', '--strict', '--no-dangling']);
  });

  it('reads a passphrase-protected key with its passphrase', async () => {
    const { sshSource, sshd, head } = await sshFixture();
    const key = await sshd.createKey('locked_ed25519', { passphrase: 'open sesame', authorize: true });
    process.env.NETFLEET_TEST_SSH_PASSPHRASE = 'open sesame';
    cleanups.push(() => { delete process.env.NETFLEET_TEST_SSH_PASSPHRASE; });
    const agent = sshSource({ auth: { sshKey: { file: key.privateKeyFile }, passphrase: { env: 'NETFLEET_TEST_SSH_PASSPHRASE' } } });
    expect((await agent.poll()).revision).toBe(head);

    const withoutPassphrase = sshSource({ auth: { sshKey: { file: key.privateKeyFile } } });
    await expect(withoutPassphrase.poll()).rejects.toMatchObject({ code: GitErrorCode.AuthFailed, message: expect.stringMatching(/SSH key .* cannot be used/) });
  });

  it('refuses a server whose host key differs from known_hosts, before authenticating', async () => {
    const { sshSource, sshd } = await sshFixture();
    const error = await sshSource({ knownHostsFile: sshd.wrongKnownHostsFile }).poll().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: GitErrorCode.HostKey,
      message: expect.stringContaining(`The SSH host key of [127.0.0.1]:${sshd.port}`),
      hint: expect.stringContaining('intercepting'),
    });
    expect(sshd.log()).not.toMatch(/Accepted publickey/);
  });

  it('never trusts a host missing from known_hosts on first use', async () => {
    const { sshSource, sshd } = await sshFixture();
    const emptyKnownHosts = `${dirname(sshd.knownHostsFile)}/known_hosts.empty`;
    await writeFile(emptyKnownHosts, '');
    await expect(sshSource({ knownHostsFile: emptyKnownHosts }).poll()).rejects.toMatchObject({
      code: GitErrorCode.HostKey, message: expect.stringContaining('is not in'), hint: expect.stringContaining('ssh-keyscan'),
    });
  });

  it('names a key the server does not accept as refused credentials', async () => {
    const { sshSource, sshd } = await sshFixture();
    const stranger = await sshd.createKey('stranger_ed25519');
    await expect(sshSource({ auth: { sshKey: { file: stranger.privateKeyFile } } }).poll()).rejects.toMatchObject({
      code: GitErrorCode.AuthFailed, message: expect.stringContaining('refused the SSH key'), hint: expect.stringContaining('deploy key'),
    });
  });

  it('passes on what the server says about a repository it does not have', async () => {
    const { sshSource, sshd } = await sshFixture();
    await expect(sshSource({ url: sshd.url('missing') }).poll()).rejects.toMatchObject({
      code: GitErrorCode.NotFound, message: expect.stringContaining('Repository not found'),
    });
  });
});

describe('over SSH to a server that never answers', () => {
  it('gives up after the timeout, as unreachable', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => { sockets.push(socket); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    }));
    const { port } = silent.address() as AddressInfo;
    const dir = await tempDir('netfleet-ssh-silent-');
    await runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
    await writeFile(join(dir, 'known_hosts'), '');
    const agent = new GitSource({
      url: `ssh://git@127.0.0.1:${port}/fleet.git`, cacheDir: join(dir, 'cache'), timeoutMs: 300,
      auth: { sshKey: { file: join(dir, 'key') } }, knownHostsFile: join(dir, 'known_hosts'),
      logger: createLogger({ name: 'test', level: 'silent' }),
    });
    cleanups.push(() => agent.close());
    await expect(agent.poll()).rejects.toMatchObject({ code: GitErrorCode.Unreachable, transient: true });
  });
});
