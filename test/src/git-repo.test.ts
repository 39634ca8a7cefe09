import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGit } from './git-cli.js';
import { createWorkTree, type WorkTree } from './git-repo.js';
import { configArgs, createGpgSigner, createSshSigner, type CommitSigner } from './git-signing.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bareRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netfleet-bare-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await runGit(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  return dir;
}

async function workTree(remote: string): Promise<WorkTree> {
  const tree = await createWorkTree(remote);
  cleanups.push(() => tree.dispose());
  return tree;
}

async function signer(make: () => Promise<CommitSigner>): Promise<CommitSigner> {
  const created = await make();
  cleanups.push(() => created.dispose());
  return created;
}

/** `git verify-commit` in `tree` trusting `trusted`; resolves to the raw GnuPG/ssh status output. */
function verifyCommit(tree: WorkTree, sha: string, trusted: CommitSigner): Promise<string> {
  return tree.git([...configArgs(trusted.verifyConfig), 'verify-commit', '--raw', sha], { env: trusted.env });
}

describe('when commits are made in a work tree', () => {
  it('pushes written, deleted and linked files to the bare repository', async () => {
    const remote = await bareRepo();
    const tree = await workTree(remote);
    await tree.write({ 'clusters/a.yaml': 'a: 1\n', 'clusters/b.yaml': 'b: 1\n' });
    await tree.symlink('shared.yaml', 'clusters/a.yaml');
    const first = await tree.commit('add clusters');
    await tree.remove('clusters/b.yaml');
    const second = await tree.commit('drop b');
    await tree.push();

    const listing = await runGit(['ls-tree', '-r', 'main'], { cwd: remote });
    expect(listing).toMatch(/^100644 blob \w+\tclusters\/a\.yaml$/m);
    expect(listing).toMatch(/^120000 blob \w+\tshared\.yaml$/m);
    expect(listing).not.toContain('clusters/b.yaml');
    expect((await runGit(['rev-parse', 'main'], { cwd: remote })).trim()).toBe(second);
    expect((await runGit(['rev-parse', 'main~1'], { cwd: remote })).trim()).toBe(first);
  });

  it('produces the same shas for the same steps, as author and dates are fixed', async () => {
    const shas: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const tree = await workTree(await bareRepo());
      await tree.write({ 'a.txt': 'a\n' });
      await tree.commit('one');
      await tree.write({ 'b.txt': 'b\n' });
      shas.push(await tree.commit('two'));
    }
    expect(shas[0]).toBe(shas[1]);
  });

  it('pushes tags and rewrites history with a force-push', async () => {
    const remote = await bareRepo();
    const tree = await workTree(remote);
    await tree.write({ 'a.txt': '1\n' });
    const first = await tree.commit('one');
    await tree.tag('v1', { message: 'release 1' });
    await tree.write({ 'a.txt': '2\n' });
    await tree.commit('two');
    await tree.push();

    await tree.resetHard(first);
    await tree.write({ 'a.txt': '3\n' });
    const rewritten = await tree.commit('three');
    await expect(tree.push()).rejects.toThrow(/rejected|non-fast-forward/);
    await tree.push({ force: true });

    expect((await runGit(['rev-parse', 'main'], { cwd: remote })).trim()).toBe(rewritten);
    expect((await runGit(['rev-parse', 'v1^{commit}'], { cwd: remote })).trim()).toBe(first);
  });
});

describe('when commits are signed', () => {
  it.each([
    { name: 'an OpenPGP primary key', make: () => createGpgSigner() },
    { name: 'an OpenPGP signing subkey', make: () => createGpgSigner({ subkey: true }) },
    { name: 'an SSH ed25519 key', make: () => createSshSigner() },
    { name: 'an SSH ecdsa key', make: () => createSshSigner({ type: 'ecdsa' }) },
  ])('verifies with git verify-commit for $name, naming the signing key', async ({ make }) => {
    const key = await signer(make);
    const tree = await workTree(await bareRepo());
    await tree.write({ 'a.txt': 'a\n' });
    const sha = await tree.commit('signed', { signer: key });

    await expect(verifyCommit(tree, sha, key)).resolves.toBeDefined();
    const shown = await tree.git([...configArgs(key.verifyConfig), 'log', '-1', '--format=%G?%x09%GK%x09%GP', sha], { env: key.env });
    const [status, signingKey, primary] = shown.trim().split('\t');

    expect(status).toBe('G');
    expect(signingKey).toBe(key.signingKeyId);
    if (key.format === 'openpgp') expect(primary).toBe(key.fingerprint);
  });

  it('fails verification for an unsigned commit, a tampered commit and an unknown key', async () => {
    const key = await signer(() => createSshSigner());
    const stranger = await signer(() => createSshSigner({ principal: 'stranger@netfleet.test' }));
    const tree = await workTree(await bareRepo());
    await tree.write({ 'a.txt': 'a\n' });
    const unsigned = await tree.commit('unsigned');
    await tree.write({ 'b.txt': 'b\n' });
    const signed = await tree.commit('signed', { signer: key });
    const tampered = await tree.tamper(signed, 'not what was signed');

    await expect(verifyCommit(tree, signed, key)).resolves.toBeDefined();
    await expect(verifyCommit(tree, unsigned, key)).rejects.toThrow();
    await expect(verifyCommit(tree, tampered, key)).rejects.toThrow();
    await expect(verifyCommit(tree, signed, stranger)).rejects.toThrow();
    expect(tampered).not.toBe(signed);
    expect(await tree.git(['cat-file', 'commit', tampered])).toContain('-----BEGIN SSH SIGNATURE-----');
  });
});
