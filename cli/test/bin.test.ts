import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/**
 * The `netfleet` bin in a checkout of its own: a bundle that says "bundle", sources that say
 * "sources", and the list of the sources the bundle was built from.
 */
describe('the netfleet bin', () => {
  let root: string;
  const bin = () => join(root, 'cli/bin/netfleet.js');
  const ran = async () => (await run(process.execPath, [bin()])).stdout.trim();
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'netfleet-bin-'));
    await mkdir(join(root, 'cli/bin'), { recursive: true });
    await mkdir(join(root, 'cli/src'), { recursive: true });
    await mkdir(join(root, 'dist'), { recursive: true });
    await cp(join(ROOT, 'cli/bin/netfleet.js'), bin());
    await cp(join(ROOT, 'cli/package.json'), join(root, 'cli/package.json'));
    await symlink(join(ROOT, 'cli/node_modules'), join(root, 'cli/node_modules'));
    await writeFile(join(root, 'cli/src/run.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
    await writeFile(join(root, 'dist/netfleet.mjs'), "console.log('bundle');\n");
    await writeFile(join(root, 'dist/sources.json'), JSON.stringify(['cli/src/run.ts']));
    await utimes(join(root, 'cli/src/run.ts'), at(0), at(0));
    await utimes(join(root, 'dist/netfleet.mjs'), at(10), at(10));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs the bundle while none of the sources it was built from changed', async () => {
    expect(await ran()).toBe('bundle');
  });

  it('runs the sources through tsx once one of them is newer than the bundle', async () => {
    await utimes(join(root, 'cli/src/run.ts'), at(20), at(20));
    expect(await ran()).toBe('sources');
  });

  it('runs the sources when there is no bundle', async () => {
    await rm(join(root, 'dist'), { recursive: true });
    expect(await ran()).toBe('sources');
  });
});
