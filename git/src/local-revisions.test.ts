import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkTree, type WorkTree } from '@netfleet/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRevisions } from './local-revisions.js';

let tree: WorkTree;
const commits: string[] = [];

async function files(revisions: LocalRevisions, commit: string): Promise<Record<string, string>> {
  const reader = await revisions.reader(commit);
  const entries = await reader.list();
  return Object.fromEntries(await Promise.all(entries.map(async (entry) => [entry.path, new TextDecoder().decode(await reader.read(entry.path))] as const)));
}

beforeAll(async () => {
  tree = await createWorkTree('/nonexistent/origin.git');
  for (const n of [1, 2, 3]) {
    await tree.write({ 'fleet/clusters/a.yaml': `version: ${n}\n`, 'README.md': `readme ${n}\n` });
    commits.push(await tree.commit(`commit ${n}`));
  }
  await tree.tag('v1', { message: 'release 1', ref: commits[0] });
  await tree.symlink('fleet/link.yaml', 'clusters/a.yaml');
});

afterAll(async () => {
  await tree.dispose();
});

describe('LocalRevisions', () => {
  it('resolves branches, HEAD, ~N and ^ ancestors, abbreviated ids and annotated tags to commits', async () => {
    const revisions = await LocalRevisions.open(tree.dir);
    expect(await revisions.resolve('HEAD')).toBe(commits[2]);
    expect(await revisions.resolve('main')).toBe(commits[2]);
    expect(await revisions.resolve('HEAD~2')).toBe(commits[0]);
    expect(await revisions.resolve('main^')).toBe(commits[1]);
    expect(await revisions.resolve('HEAD~1^')).toBe(commits[0]);
    expect(await revisions.resolve(commits[1]!.slice(0, 8))).toBe(commits[1]);
    expect(await revisions.resolve('v1')).toBe(commits[0]);
    expect(await revisions.branchTip('main')).toBe(commits[2]);
    expect(await revisions.mergeBase(commits[0]!, commits[2]!)).toBe(commits[0]);
  });

  it('reads a commit\'s files, only below the folder it was opened at', async () => {
    await tree.commit('a symlink');
    const whole = await LocalRevisions.open(tree.dir);
    expect(Object.keys(await files(whole, commits[1]!))).toEqual(['README.md', 'fleet/clusters/a.yaml']);
    const fleet = await LocalRevisions.open(join(tree.dir, 'fleet'));
    const head = await fleet.resolve('HEAD');
    expect(await files(fleet, head)).toEqual({ 'clusters/a.yaml': 'version: 3\n', 'link.yaml': 'clusters/a.yaml' });
    const entries = await (await fleet.reader(head)).list();
    expect(entries.find((entry) => entry.path === 'link.yaml')?.kind).toBe('symlink');
  });

  it('says what is wrong with an unknown revision, a walk past the first commit and a folder outside git', async () => {
    const revisions = await LocalRevisions.open(tree.dir);
    await expect(revisions.resolve('nope')).rejects.toThrow('revision nope is not in the repository');
    await expect(revisions.resolve('HEAD~9')).rejects.toThrow('revision HEAD~9 goes past the first commit');
    await expect(revisions.branchTip('release')).rejects.toThrow('branch release is not in the repository');
    const outside = await mkdtemp(join(tmpdir(), 'netfleet-not-a-repo-'));
    await expect(LocalRevisions.open(outside)).rejects.toThrow('is not inside a git repository');
    await rm(outside, { recursive: true });
  });
});
