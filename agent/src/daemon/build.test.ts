import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLogger } from '@netfleet/shared';
import { createWorkTree, sshdAvailable, startGitServer, startSshGitServer } from '@netfleet/test';
import { afterEach, describe, expect, it } from 'vitest';
import { buildSource, isRemote } from './build.js';
import { resolveAgentOptions } from './options.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('isRemote', () => {
  it.each(['https://git.example/fleet.git', 'ssh://git@git.example/fleet.git', 'git@github.com:org/fleet.git'])('takes %s for a git remote', (repo) => {
    expect(isRemote(repo)).toBe(true);
  });

  it.each(['/srv/fleet', './fleet', 'fleet'])('takes %s for a local directory', (repo) => {
    expect(isRemote(repo)).toBe(false);
  });
});

describe.skipIf(!sshdAvailable())('buildSource with an SSH repository (real sshd)', () => {
  it('fetches over SSH with the deploy key and known_hosts the flags name', async () => {
    const server = await startGitServer();
    cleanups.push(() => server.dispose());
    const repo = await server.createRepo('fleet');
    const tree = await createWorkTree(repo.dir);
    cleanups.push(() => tree.dispose());
    await tree.write({ 'fleet.yaml': 'clusters: [a]\n' });
    const head = await tree.commit('fleet');
    await tree.push();
    const sshd = await startSshGitServer(dirname(repo.dir));
    cleanups.push(() => sshd.dispose());
    const cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-build-'));
    cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));

    const options = await resolveAgentOptions({
      flags: {
        repo: sshd.url('fleet'), cluster: 'a', cacheDir,
        gitSshKeyFile: sshd.deployKey.privateKeyFile, gitSshKnownHostsFile: sshd.knownHostsFile,
      },
      env: {},
    });
    const built = await buildSource(options, createLogger({ name: 'test', level: 'silent' }));
    cleanups.push(() => built.close());

    expect(await built.source.head()).toBe(head);
    expect((await built.source.fetch()).revision).toBe(head);
  });
});
