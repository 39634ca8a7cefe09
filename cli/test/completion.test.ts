import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './io.js';

const run = promisify(execFile);

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
  });

  it('writes scripts zsh and fish accept, naming every command', async () => {
    const zsh = await script('zsh');
    await run('zsh', ['-n', zsh]);
    const fish = await script('fish');
    await run('fish', ['--no-execute', fish]);
    const { out } = await runCli('completion', 'fish');
    for (const command of ['render', 'validate', 'preview', 'diff', 'agent', 'hub', 'rollout']) expect(out).toContain(`-a ${command} -d`);
  });

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
