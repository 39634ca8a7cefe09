import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@netfleet/shared';
import { createWorkTree, startGitServer, type GitServer, type GitServerRepo, type StartGitServerOptions, type WorkTree } from '@netfleet/test';
import { GitSource, type GitSourceOptions } from '../index.js';

/** Undone after each test, last first (register `afterEach(runCleanups)` in the test file). */
export const cleanups: (() => Promise<void> | void)[] = [];

export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export interface Fixture {
  server: GitServer;
  repo: GitServerRepo;
  tree: WorkTree;
  head: string;
  cacheDir: string;
  source(options?: Partial<GitSourceOptions>): GitSource;
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A served repository with one commit, and a factory for sources on one cache dir. */
export async function fixture(serverOptions: StartGitServerOptions = {}): Promise<Fixture> {
  const server = await startGitServer(serverOptions);
  cleanups.push(() => server.dispose());
  const repo = await server.createRepo('fleet');
  const tree = await createWorkTree(repo.dir);
  cleanups.push(() => tree.dispose());
  await tree.write({
    'fleet.yaml': 'clusters: [a]\n',
    'clusters/a/network.yaml': 'cidr: 10.0.0.0/16\n',
    'clusters/a/deep/nested/policy.yaml': 'allow: all\n',
  });
  await tree.symlink('clusters/a/shared.yaml', '../../fleet.yaml');
  const head = await tree.commit('initial fleet');
  await tree.push();
  const cacheDir = join(await tempDir('netfleet-cache-'), 'git');
  return {
    server, repo, tree, head, cacheDir,
    source(options = {}) {
      const source = new GitSource({ url: repo.url, cacheDir, logger: createLogger({ name: 'test', level: 'silent' }), ...options });
      cleanups.push(() => source.close());
      return source;
    },
  };
}

export async function readText(reader: { read(path: string): Promise<Uint8Array> }, path: string): Promise<string> {
  return Buffer.from(await reader.read(path)).toString('utf8');
}
