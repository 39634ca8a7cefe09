import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkTree, runGit, startGitServer, type GitServer, type GitServerRepo, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GitAuthOptions } from '@netfleet/git';
import { FleetRepository, type FleetRepositoryOptions } from '../../src/rollout/fleet-repository.js';
import { RepoFollower, rolloutPolicyOf } from '../../src/rollout/repo-follower.js';
import { eventually, exampleFleetFiles, quietLogger } from '../helpers.js';

describe('repo follower on a git server', () => {
  let server: GitServer;
  let repo: GitServerRepo;
  let tree: WorkTree;
  let cacheDir: string;
  let firstRevision: string;
  const heads: string[] = [];
  const credentials = { username: 'fleet', password: 'fleet-password-123' };
  let auth: GitAuthOptions;
  const repositories: FleetRepository[] = [];

  /** The fleet repository as the hub reads it, closed after the suite. */
  const repository = (options: Partial<FleetRepositoryOptions> = {}) => {
    const opened = new FleetRepository({ url: repo.url, auth, cacheDir, ...options }, quietLogger());
    repositories.push(opened);
    return opened;
  };

  beforeAll(async () => {
    server = await startGitServer({ auth: credentials });
    repo = await server.createRepo('fleet');
    tree = await createWorkTree(repo.dir);
    await tree.write(await exampleFleetFiles());
    firstRevision = await tree.commit('the example fleet');
    await tree.push();
    cacheDir = await mkdtemp(join(tmpdir(), 'netfleet-policy-'));
    await writeFile(join(cacheDir, 'password'), credentials.password);
    auth = { username: credentials.username, password: { file: join(cacheDir, 'password') } };
    cacheDir = join(cacheDir, 'git');
  });

  afterAll(async () => {
    for (const opened of repositories) opened.close();
    await tree.dispose();
    await server.dispose();
    await rm(join(cacheDir, '..'), { recursive: true, force: true });
  });

  const follower = (options: { intervalMs?: number; maxBackoffMs?: number } = {}) =>
    new RepoFollower({ repository: repository(), ...options }, async (revision) => {
      heads.push(revision);
    }, quietLogger());

  it('hands on each new head of the branch once', async () => {
    heads.length = 0;
    const following = follower();
    const first = await following.poll();
    expect(first).toBe(await tree.resolve('HEAD'));
    await following.poll();
    await tree.write({ 'README.md': 'changed\n' });
    const second = await tree.commit('second');
    await tree.push();
    expect(await following.poll()).toBe(second);
    expect(heads).toEqual([first, second]);
  });

  it('is woken by a push webhook for the followed branch and reads the tip itself; other refs do not wake it', async () => {
    heads.length = 0;
    const following = follower({ intervalMs: 600_000 });
    following.start();
    try {
      const tip = await tree.resolve('HEAD');
      await eventually(() => expect(heads).toEqual([tip]));
      await tree.write({ 'README.md': 'pushed\n' });
      const pushed = await tree.commit('pushed');
      await tree.push();
      expect(following.wake('refs/heads/feature')).toBe(false);
      expect(following.wake('refs/heads/main')).toBe(true);
      await eventually(() => expect(heads).toEqual([tip, pushed]));
    } finally {
      await following.close();
    }
  });

  it('fails with a typed error while the server is away, and catches up when it is back', async () => {
    heads.length = 0;
    const following = follower({ intervalMs: 20, maxBackoffMs: 100 });
    server.failAll(503);
    await expect(following.poll()).rejects.toMatchObject({ code: 'HUB_REPO_UNREACHABLE' });
    following.start();
    try {
      await tree.write({ 'README.md': 'third\n' });
      const third = await tree.commit('third');
      await tree.push();
      server.failAll(undefined);
      await eventually(() => expect(heads).toContain(third));
    } finally {
      server.failAll(undefined);
      await following.close();
    }
  });

  it('reads the rollout policy at a revision', async () => {
    const policy = rolloutPolicyOf(await repository().fleetAt(await tree.resolve('HEAD')));
    expect(policy?.name).toBe('default');
    expect(policy?.waves.map((wave) => wave.name)).toEqual(['staging', 'canary', 'europe', 'rest']);
    expect(policy?.onFailure).toBe('pause');
  });

  it('reads a revision behind the branch tip, which a shallow fetch of the tip does not bring', async () => {
    await tree.write({ 'mesh/extra.yaml': 'apiVersion: netfleet.io/v1alpha1\nkind: MeshGroup\nmetadata:\n  name: extra\nspec:\n  type: federation\n  members: [eu-fra-2, eu-ams-1]\n' });
    const tip = await tree.commit('an extra mesh group');
    await tree.push();
    const fresh = await mkdtemp(join(tmpdir(), 'netfleet-policy-'));
    try {
      const reader = repository({ cacheDir: fresh });
      const groupsAt = async (revision: string) => (await reader.fleetAt(revision)).meshGroups.map((group) => group.name);
      expect(await groupsAt(tip)).toEqual(['extra', 'global-prod', 'nyc']);
      // Reads share one cache: asked together, each still gets its own revision.
      expect(await Promise.all([groupsAt(firstRevision), groupsAt(tip), groupsAt(firstRevision)])).toEqual([
        ['global-prod', 'nyc'], ['extra', 'global-prod', 'nyc'], ['global-prod', 'nyc'],
      ]);
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('fails with a typed error for a revision the branch does not have', async () => {
    await expect(repository().fleetAt('1'.repeat(40))).rejects.toMatchObject({ code: 'HUB_REPO_UNREACHABLE' });
  });

  it('reads through the same git source as the agent: a renamed repository is followed, with the credentials', async () => {
    const moved = await startGitServer({ auth: credentials, moved: { 'old-fleet': 'fleet' } });
    try {
      const renamed = await moved.createRepo('fleet');
      await runGit(['push', '--quiet', renamed.dir, 'HEAD:refs/heads/main'], { cwd: tree.dir });
      const fresh = await mkdtemp(join(tmpdir(), 'netfleet-policy-'));
      try {
        const reader = repository({ url: `${moved.baseUrl}/old-fleet.git`, cacheDir: fresh });
        const tip = await reader.tip();
        expect(tip).toBe(await tree.resolve('HEAD'));
        expect(rolloutPolicyOf(await reader.fleetAt(tip))?.name).toBe('default');
        expect(moved.requests[0]).toMatchObject({ status: 301, path: '/old-fleet.git/info/refs' });
      } finally {
        await rm(fresh, { recursive: true, force: true });
      }
    } finally {
      await moved.dispose();
    }
  });
});
