import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, SyncReason } from '@netfleet/shared';
import { GitErrorCode, GitSource } from '@netfleet/git';
import { createWorkTree, startGitServer } from '@netfleet/test';
import { directoryFleetSource, gitFleetSource } from './sources.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netfleet-dir-source-'));
  await writeFile(join(dir, 'a.yaml'), 'a: 1\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('directoryFleetSource', () => {
  it('gives an unchanged directory the same revision and a changed one another', async () => {
    const source = directoryFleetSource(dir);
    const first = await source.head();
    expect(await source.head()).toBe(first);
    expect((await source.fetch()).revision).toBe(first);
    await writeFile(join(dir, 'a.yaml'), 'a: 2\n');
    expect(await source.head()).not.toBe(first);
  });

  it('fails a missing directory as FetchFailed', async () => {
    await expect(directoryFleetSource(join(dir, 'missing')).fetch()).rejects.toMatchObject({ reason: SyncReason.FetchFailed, code: 'AGENT_FETCH_FAILED' });
  });
});

describe('gitFleetSource', () => {
  it("passes the reconciler's abort signal to the fetch: a stopping agent does not wait for the server", async () => {
    const server = await startGitServer();
    const repo = await server.createRepo('fleet');
    const tree = await createWorkTree(repo.dir);
    const git = new GitSource({ url: repo.url, cacheDir: join(dir, 'git-cache'), logger: createLogger({ name: 'test', level: 'silent' }) });
    try {
      await tree.write({ 'fleet.yaml': 'clusters: []\n' });
      await tree.commit('fleet');
      await tree.push();
      const source = gitFleetSource(git);
      const stopping = new AbortController();
      stopping.abort();
      const error = await source.fetch(stopping.signal).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: SyncReason.FetchFailed, message: expect.stringMatching(/was aborted/) });
      expect((error as Error).cause).toMatchObject({ code: GitErrorCode.Aborted });
      expect(server.requests).toEqual([]);
    } finally {
      git.close();
      await tree.dispose();
      await server.dispose();
    }
  });
});
