import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, FsRepoReader, formatProblem, loadFleet } from '../src/index.js';
import { BASE_FLEET } from './support/memory-repo.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'netfleet-fs-reader-'));
  for (const [path, text] of Object.entries(BASE_FLEET)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('when reading a fleet repository from a folder', () => {
  it('lists files sorted with their sizes, skips .git, and reports symlinks with their target', async () => {
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await symlink('alpha.yaml', join(root, 'clusters', 'alias.yaml'));
    const reader = new FsRepoReader(root);
    expect(await reader.list()).toEqual([
      { path: 'clusters/alias.yaml', kind: 'symlink', size: 'alpha.yaml'.length },
      { path: 'clusters/alpha.yaml', kind: 'file', size: Buffer.byteLength(BASE_FLEET['clusters/alpha.yaml']!) },
      { path: 'clusters/beta.yaml', kind: 'file', size: Buffer.byteLength(BASE_FLEET['clusters/beta.yaml']!) },
    ]);
    expect(new TextDecoder().decode(await reader.read('clusters/alias.yaml'))).toBe('alpha.yaml');
  });

  it('refuses to read a path it did not list', async () => {
    await expect(new FsRepoReader(root).read('../etc/passwd')).rejects.toMatchObject({ code: 'CONFIG_REPO_NO_SUCH_FILE' });
  });

  it('follows a symlink that stays inside the repository', async () => {
    await mkdir(join(root, 'shared'));
    await writeFile(join(root, 'shared', 'gamma.txt'), BASE_FLEET['clusters/beta.yaml']!.replaceAll('beta', 'gamma'));
    await symlink('../shared/gamma.txt', join(root, 'clusters', 'gamma.yaml'));
    const fleet = await loadFleet(new FsRepoReader(root));
    expect([...fleet.clusters.keys()]).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('rejects a symlink leading out of the repository without reading its target', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'netfleet-outside-'));
    try {
      await writeFile(join(outside, 'secret.yaml'), 'password: hunter2\n');
      await symlink(join(outside, 'secret.yaml'), join(root, 'clusters', 'leak.yaml'));
      await symlink('../../../../../../../../../../etc/hostname', join(root, 'clusters', 'up.yaml'));
      const error = await loadFleet(new FsRepoReader(root)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      const lines = (error as ConfigError).problems.map(formatProblem);
      expect(lines).toEqual([
        `clusters/leak.yaml:1:1 CONFIG_SYMLINK_OUTSIDE: found a link to ${JSON.stringify(join(outside, 'secret.yaml'))}, expected a link to a file inside the repository`,
        'clusters/up.yaml:1:1 CONFIG_SYMLINK_OUTSIDE: found a link to "../../../../../../../../../../etc/hostname", expected a link to a file inside the repository',
      ]);
      expect((error as ConfigError).message).not.toContain('hunter2');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('fails with a clear error when the folder does not exist', async () => {
    await expect(new FsRepoReader(join(root, 'missing')).list()).rejects.toMatchObject({ code: 'CONFIG_REPO_UNREADABLE' });
  });
});
