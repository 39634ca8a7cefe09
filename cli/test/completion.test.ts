import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './io.js';

const run = promisify(execFile);

/** Whether a program is on the PATH. */
function installed(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

describe('netfleet completion', () => {
  let dir: string;
  const script = async (shell: string) => {
    const { code, out } = await runCli('completion', shell);
    expect(code).toBe(0);
    const file = join(dir, `netfleet.${shell}`);
    await writeFile(file, out);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netfleet-completion-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What bash completes for the words typed so far (the last one being completed). */
  async function bashCompletes(words: string[]): Promise<string[]> {
    const file = await script('bash');
    const program = `source ${file}; COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _netfleet; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await run('bash', ['-c', program]);
    return stdout.split('\n').filter(Boolean);
  }

  it('completes commands, each command\'s options and the values an option allows (bash)', async () => {
    expect(await bashCompletes(['netfleet', 'pr'])).toEqual(['preview']);
    expect(await bashCompletes(['netfleet', 'render', '--c'])).toEqual(['--cluster']);
    expect(await bashCompletes(['netfleet', 'preview', '-o', 'm'])).toEqual(['markdown']);
    expect(await bashCompletes(['netfleet', 'agent', '--drift-'])).toEqual(['--drift-mode']);
    expect(await bashCompletes(['netfleet', 'uni'])).toEqual(['uninstall']);
    expect(await bashCompletes(['netfleet', 'bootstrap', '--rot'])).toEqual(['--rotate']);
    expect(await bashCompletes(['netfleet', 'uninstall', '--prune'])).toEqual(['--prune-managed']);
  });

  // CI installs both shells (.ci/run); elsewhere a script is checked only where its shell is installed.
  for (const shell of ['zsh', 'fish']) {
    const title = `writes a script ${shell} accepts, naming every command${installed(shell) ? '' : ` (skipped: ${shell} is not installed)`}`;
    it.skipIf(!installed(shell))(title, async () => {
      const file = await script(shell);
      await run(shell, shell === 'zsh' ? ['-n', file] : ['--no-execute', file]);
      const { out } = await runCli('completion', shell);
      for (const command of ['render', 'validate', 'preview', 'diff', 'agent', 'hub', 'rollout', 'bootstrap', 'uninstall']) expect(out).toContain(command);
    });
  }

  it('refuses a shell it does not know, listing the ones it does', async () => {
    const { code, err } = await runCli('completion', 'tcsh');
    expect(code).toBe(2);
    expect(err).toContain('Allowed choices are bash, zsh, fish');
  });
});

describe('netfleet --version', () => {
  it('prints the version', async () => {
    const { code, out } = await runCli('--version');
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
