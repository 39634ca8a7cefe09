import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** The bin users run from a checkout: the bundle `pnpm install` built, or the sources through tsx when edited since. */
export const SOURCE_BIN = join(import.meta.dirname, '..', 'bin', 'netfleet.js');

/** A finished (or hung and killed) run of the CLI as a child process. */
export interface BinRun {
  /** Exit code; null when the run hung and was killed. */
  code: number | null;
  out: string;
  err: string;
  /**
   * Milliseconds from the last output (stdout or stderr) to the process's exit: the time it
   * took to let go of everything after its work was done. Infinity when it never exited.
   */
  lingerMs: number;
  /**
   * Of the linger, the milliseconds lost waiting for a CPU: the kernel's run-queue delay of
   * the child's busiest thread (ready to run, not running), plus that of this test process's
   * own thread, which timed both ends and may itself have waited to see the exit. The
   * machine's load, not something the process holds. 0 where /proc/.../schedstat cannot be read.
   */
  cpuWaitMs: number;
}

/**
 * A process that printed nothing for this long after its last output is taken to hang: far
 * above the exit bound, and above a sync's silent stretch on a busy machine.
 */
const HANG_QUIET_MS = 60_000;
/** The same before its first output: starting (tsx transpiling) is slow on a busy machine. */
const HANG_BEFORE_OUTPUT_MS = 120_000;
/** How often the child's threads' run-queue delays are read. */
const SAMPLE_MS = 10;

/** Run-queue delay in ms per thread of `pid` (schedstat's second field); empty when unreadable. */
function runQueueDelays(pid: number): Map<string, number> {
  const delays = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
      delays.set(tid, Number(fields[1]) / 1e6);
    }
  } catch {
    // Not Linux, or the process (or a thread) just ended: keep what was read.
  }
  return delays;
}

/** Run-queue delay in ms of this process's main thread, the one that handles the child's events. */
function ownRunQueueDelay(): number {
  return runQueueDelays(process.pid).get(String(process.pid)) ?? 0;
}

/**
 * Runs `node <bin> ...args` and waits for it to exit. The linger is measured on the child's
 * output rather than from the spawn, so a slow start on a loaded machine does not count:
 * only what the process does after saying its last word does.
 */
export function runBin(bin: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<BinRun> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.stdin ?? '');
  let out = '';
  let err = '';
  let lastOutputAt = performance.now();
  let quietLimit = HANG_BEFORE_OUTPUT_MS;
  let latest = new Map<string, number>();
  let atLastOutput = new Map<string, number>();
  const received = () => {
    lastOutputAt = performance.now();
    quietLimit = HANG_QUIET_MS;
    atLastOutput = latest;
    ownDelayAtLastOutput = ownRunQueueDelay();
  };
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    received();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    received();
  });
  const sampler = setInterval(() => {
    const delays = runQueueDelays(child.pid!);
    if (delays.size > 0) latest = delays;
  }, SAMPLE_MS);
  let ownDelayAtLastOutput = ownRunQueueDelay();
  const cpuWaitSinceOutput = () => Math.max(0, ...[...latest].map(([tid, delay]) => delay - (atLastOutput.get(tid) ?? delay)))
    + (ownRunQueueDelay() - ownDelayAtLastOutput);
  return new Promise((resolve) => {
    const watchdog = setInterval(() => {
      if (performance.now() - lastOutputAt < quietLimit) return;
      clearInterval(watchdog);
      clearInterval(sampler);
      child.kill('SIGKILL');
      resolve({ code: null, out, err, lingerMs: Infinity, cpuWaitMs: 0 });
    }, 250);
    // 'close' comes after the exit and the end of both output streams: all output is in.
    child.once('close', (code) => {
      clearInterval(watchdog);
      clearInterval(sampler);
      resolve({ code, out, err, lingerMs: performance.now() - lastOutputAt, cpuWaitMs: cpuWaitSinceOutput() });
    });
  });
}
