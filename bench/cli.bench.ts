/**
 * `pnpm bench:cli`: how fast the `netfleet` bin starts, as a user runs it from a checkout after
 * `pnpm install` (which builds the bundle the bin runs): `--help` and `validate` of the example
 * fleet, next to plain `node -e 0` (the floor) and the same commands through tsx from the
 * sources (what the bin runs while a source is newer than the bundle). Median of 9 runs each;
 * CPU time (user + system) is what a loaded machine does not inflate.
 * Targets: `--help` < 150 ms, `validate --repo examples/fleet` < 500 ms.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundle, CLI_ENTRY, DIST_DIR } from '../scripts/build.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 9;

interface Run {
  wallMs: number;
  cpuMs: number;
}

/** Runs a command under GNU time; exit codes other than 0 and 1 (findings) fail the bench. */
function once(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const [user, system] = (stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
      if (code !== 0 && code !== 1) reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ wallMs, cpuMs: ((user ?? 0) + (system ?? 0)) * 1000 });
    });
  });
}

async function median(args: string[]): Promise<Run> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await once(args));
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { wallMs: mid(runs.map((run) => run.wallMs)), cpuMs: mid(runs.map((run) => run.cpuMs)) };
}

/** Targets are judged on CPU time: on an idle machine the wall time is that plus a few ms, and load only inflates the wall. */
function line(name: string, run: Run, targetMs?: number): string {
  const verdict = targetMs === undefined ? '' : `  target < ${targetMs} ms (CPU): ${run.cpuMs < targetMs ? 'met' : 'MISSED'}`;
  return `${name.padEnd(44)} ${run.wallMs.toFixed(0).padStart(6)} ms wall ${run.cpuMs.toFixed(0).padStart(6)} ms CPU${verdict}`;
}

await bundle({ entries: CLI_ENTRY, outdir: DIST_DIR });
const validate = ['validate', '--repo', 'examples/fleet'];
const rows = [
  line('baseline: node -e 0', await median(['-e', '0'])),
  line('netfleet --help (bin → bundle)', await median(['cli/bin/netfleet.js', '--help']), 150),
  line('netfleet validate (bin → bundle)', await median(['cli/bin/netfleet.js', ...validate]), 500),
  line('baseline: netfleet --help from sources (tsx)', await median(['--import', 'tsx', 'cli/src/run.ts', '--help'])),
  line('baseline: netfleet validate from sources (tsx)', await median(['--import', 'tsx', 'cli/src/run.ts', ...validate])),
];
process.stdout.write(`netfleet start time, median of ${RUNS} runs (machine load ${(await import('node:os')).loadavg()[0]!.toFixed(1)})\n${rows.join('\n')}\n`);
