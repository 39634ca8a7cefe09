/**
 * Git source benchmark with one large file: a repository holding one 80 MiB file (random,
 * so incompressible: the pack is as large as the file), served by `git http-backend`.
 * Peak RSS of netfleet's fresh sync (bundled, with the deployed node flags, in its own
 * process) against `git clone --depth 1` in the same run (GNU time's maximum resident set
 * of the clone's largest process), and against the agent's deployed memory limit.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWorkTree } from '../test/src/git-repo.js';
import { startGitServer } from '../test/src/git-server.js';
import { childCommands, deployedAgentMemoryLimitMb } from './agent-bundle.js';

export interface AgentGitLargeBenchOptions {
  /** Size of the file, in MiB. Default 80. */
  fileMiB?: number;
  /** Runs per side; the highest peak is reported. Default 3. */
  runs?: number;
}

export interface AgentGitLargeBenchResult {
  fileMiB: number;
  netfleetPeakRssMb: number;
  nativePeakRssMb: number;
  ratio: number;
  limitMb: number;
  netfleetSyncMs: number;
}

const SYNC_SCRIPT = fileURLToPath(new URL('./agent-git-sync.ts', import.meta.url));

export async function runAgentGitLargeBench(options: AgentGitLargeBenchOptions = {}): Promise<AgentGitLargeBenchResult> {
  const fileMiB = options.fileMiB ?? 80;
  const runs = options.runs ?? 3;
  const commands = await childCommands(SYNC_SCRIPT);
  const scratch = await mkdtemp(join(tmpdir(), 'netfleet-bench-git-large-'));
  const server = await startGitServer();
  try {
    const repo = await server.createRepo('large');
    const tree = await createWorkTree(repo.dir);
    try {
      await writeFile(join(tree.dir, 'large.bin'), randomBytes(fileMiB * 1024 * 1024));
      await tree.write({ 'fleet.yaml': 'clusters: []\n' });
      await tree.commit('one large file');
      await tree.push();
    } finally {
      await tree.dispose();
    }
    const native: number[] = [];
    const ours: { maxRssMb: number; syncMs: number; bytes: number }[] = [];
    for (let run = 0; run < runs; run += 1) {
      native.push(await nativeClonePeakMb(repo.url, join(scratch, `native-${run}`)));
      const sync = JSON.parse(await captured(process.execPath, [...commands.bundle.execArgv, commands.bundle.file, repo.url, join(scratch, `cache-${run}`)])) as
        { maxRssMb: number; syncMs: number; bytes: number };
      if (sync.bytes < fileMiB * 1024 * 1024) throw new Error(`the sync read ${sync.bytes} bytes, expected the ${fileMiB} MiB file`);
      ours.push(sync);
      await rm(join(scratch, `native-${run}`), { recursive: true, force: true });
      await rm(join(scratch, `cache-${run}`), { recursive: true, force: true });
    }
    const result: AgentGitLargeBenchResult = {
      fileMiB,
      netfleetPeakRssMb: Math.max(...ours.map((sync) => sync.maxRssMb)),
      nativePeakRssMb: Math.max(...native),
      ratio: 0,
      limitMb: deployedAgentMemoryLimitMb(),
      netfleetSyncMs: Math.min(...ours.map((sync) => sync.syncMs)),
    };
    result.ratio = result.netfleetPeakRssMb / result.nativePeakRssMb;
    print(result, runs);
    return result;
  } finally {
    await server.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Peak RSS of `git clone --depth 1` in MB, from GNU time (`%M`: the largest process's maximum resident set, KiB). */
async function nativeClonePeakMb(url: string, dir: string): Promise<number> {
  const stderr = await captured('/usr/bin/time', ['-f', '%M', 'git', 'clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', url, dir], 'stderr');
  return (Number(stderr.trim().split('\n').at(-1)) * 1024) / 1e6;
}

async function captured(command: string, args: string[], stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'inherit', stream === 'stderr' ? 'pipe' : 'inherit'] });
  let out = '';
  child[stream]?.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return out;
}

function print(result: AgentGitLargeBenchResult, runs: number): void {
  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(`repository: one ${result.fileMiB} MiB file (incompressible); highest peak of ${runs} runs`);
  console.table({
    'fresh sync peak RSS (MB)': { netfleet: round(result.netfleetPeakRssMb), native: round(result.nativePeakRssMb), baseline: 'git clone --depth 1' },
  });
  console.log(`large file: peak RSS ${result.ratio.toFixed(2)}x native git (target <= 1.2x): ${check(result.ratio <= 1.2)}; `
    + `${round(result.netfleetPeakRssMb)} MB against the deployed limit of ${round(result.limitMb)} MB: ${check(result.netfleetPeakRssMb < result.limitMb)}; `
    + `fastest sync ${Math.round(result.netfleetSyncMs)} ms (bundled, as deployed)`);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
