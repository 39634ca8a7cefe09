import { spawn } from 'node:child_process';

export interface RunGitOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  /** Written to stdin. */
  input?: string | Uint8Array;
}

/**
 * Run a command of the real toolchain (git, gpg, ssh-keygen) and return its stdout.
 * A non-zero exit throws with the command line and stderr.
 */
export async function runTool(command: string, args: string[], options: RunGitOptions = {}): Promise<string> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  // A command that exits without reading stdin must not crash the caller with EPIPE.
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${Buffer.concat(stderr).toString().trim()}`);
  }
  return Buffer.concat(stdout).toString();
}

/** Run the git CLI with no user or system configuration leaking in. */
export async function runGit(args: string[], options: RunGitOptions = {}): Promise<string> {
  return runTool('git', args, {
    ...options,
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', ...options.env },
  });
}
