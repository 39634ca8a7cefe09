/**
 * Git source benchmark: a generated 2,000-file repository served by `git http-backend`;
 * netfleet's fresh sync against `git clone --depth 1`, and its unchanged poll against
 * `git ls-remote`, in the same run. The sync's memory is measured bundled, as production runs
 * it, and through tsx, as a checkout does.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../shared/src/log.js';
import { GitSource } from '../git/src/index.js';
import { runGit } from '../test/src/git-cli.js';
import { createWorkTree } from '../test/src/git-repo.js';
import { startGitServer, type GitServer } from '../test/src/git-server.js';
import { childCommands, deployedAgentNodeFlags, type ChildCommand } from './agent-bundle.js';

export interface AgentGitBenchOptions {
  /** Files in the generated repository. Default 2000. */
  files?: number;
  /** Runs per measurement; the median (and the fastest) is reported. Default 7. */
  runs?: number;
}

/** RSS of the sync's process: its peak over the runs, and the median before the sync starts. */
interface SyncMemory {
  peakRssMb: number;
  loadedRssMb: number;
}

/** Wall and client CPU time of one side of a comparison, in ms. */
interface Timing {
  medianMs: number;
  fastestMs: number;
  /** CPU time of the client process alone (server work is the same for both sides). */
  medianCpuMs: number;
}

export interface AgentGitBenchResult {
  files: number;
  repoBytes: number;
  freshSync: { netfleet: Timing; native: Timing; ratio: number; memory: Record<'bundled' | 'tsx', SyncMemory> };
  unchangedPoll: { netfleetMs: number; nativeLsRemoteMs: number; netfleetRequests: number; nativeRequests: number };
}

const SYNC_SCRIPT = fileURLToPath(new URL('./agent-git-sync.ts', import.meta.url));

/** Run the git source benchmark, print its figures and return them. */
export async function runAgentGitBench(options: AgentGitBenchOptions = {}): Promise<AgentGitBenchResult> {
  const files = options.files ?? 2000;
  const runs = options.runs ?? 7;
  const commands = await childCommands(SYNC_SCRIPT);
  const scratch = await mkdtemp(join(tmpdir(), 'netfleet-bench-git-'));
  const server = await startGitServer();
  try {
    const { url, repoBytes } = await generateRepository(server, files);

    const native: RunFigures[] = [];
    const ours: SyncFigures[] = [];
    const bundled: SyncFigures[] = [];
    // Interleaved, so a background hiccup hurts all sides alike.
    for (let run = 0; run < runs; run += 1) {
      native.push(await nativeClone(url, join(scratch, `native-${run}`)));
      ours.push(await syncInChildProcess(commands.tsx, url, join(scratch, `cache-${run}`)));
      bundled.push(await syncInChildProcess(commands.bundle, url, join(scratch, `bundled-${run}`)));
    }
    for (const sync of [...ours, ...bundled]) if (sync.files !== files) throw new Error(`a sync read ${sync.files} files, expected ${files}`);

    const poll = await measurePolls(server, url, join(scratch, 'cache-0'), runs * 4);
    const netfleet = timing(ours.map((sync) => ({ wallMs: sync.syncMs, cpuMs: sync.cpuMs })));
    const nativeTiming = timing(native);
    const result: AgentGitBenchResult = {
      files,
      repoBytes,
      freshSync: {
        netfleet,
        native: nativeTiming,
        ratio: netfleet.medianMs / nativeTiming.medianMs,
        memory: { bundled: memory(bundled), tsx: memory(ours) },
      },
      unchangedPoll: poll,
    };
    printResult(result, runs);
    return result;
  } finally {
    await server.dispose();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Unchanged polls on a warm cache against `git ls-remote`: request counts, then times. */
async function measurePolls(server: GitServer, url: string, cacheDir: string, runs: number): Promise<AgentGitBenchResult['unchangedPoll']> {
  const source = new GitSource({ url, cacheDir, logger: createLogger({ name: 'bench', level: 'warn' }) });
  try {
    await source.poll();
    server.clearLog();
    if ((await source.poll()).changed) throw new Error('the unchanged poll reported a change');
    const netfleetRequests = server.requests.length;
    server.clearLog();
    await runGit(['ls-remote', url, 'refs/heads/main']);
    const nativeRequests = server.requests.length;
    const pollTimes: number[] = [];
    const lsRemoteTimes: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      pollTimes.push(await timed(() => source.poll()));
      lsRemoteTimes.push(await timed(() => runGit(['ls-remote', url, 'refs/heads/main'])));
    }
    return { netfleetMs: median(pollTimes), nativeLsRemoteMs: median(lsRemoteTimes), netfleetRequests, nativeRequests };
  } finally {
    source.close();
  }
}

/** A fleet-like repository: `files` YAML documents in nested directories, three commits of history. */
async function generateRepository(server: GitServer, files: number): Promise<{ url: string; repoBytes: number }> {
  const repo = await server.createRepo('bench-fleet');
  const tree = await createWorkTree(repo.dir);
  let repoBytes = 0;
  try {
    for (let round = 0; round < 3; round += 1) {
      const batch: Record<string, string> = {};
      for (let i = 0; i < files; i += 1) {
        if (round > 0 && i % 10 !== round) continue;
        const content = document(i, round);
        batch[`clusters/region-${i % 8}/cluster-${i % 97}/network-${i}.yaml`] = content;
        if (round === 0) repoBytes += content.length;
      }
      await tree.write(batch);
      await tree.commit(`round ${round}`);
    }
    await tree.push();
  } finally {
    await tree.dispose();
  }
  return { url: repo.url, repoBytes };
}

function document(index: number, round: number): string {
  const rules = Array.from({ length: 4 + (index % 9) }, (_, rule) =>
    `    - name: rule-${rule}\n      cidr: 10.${index % 250}.${rule}.0/24\n      ports: [${80 + rule}, ${443 + round}]\n`).join('');
  return `apiVersion: network.netfleet.io/v1\nkind: NetworkProfile\nmetadata:\n  name: profile-${index}\n  revision: ${round}\nspec:\n  zone: z${index % 13}\n  rules:\n${rules}`;
}

interface RunFigures { wallMs: number; cpuMs: number }
interface SyncFigures { syncMs: number; cpuMs: number; maxRssMb: number; loadedRssMb: number; files: number }

/** `git clone --depth 1` under bash's `time`, which reports the clone's own CPU time. */
async function nativeClone(url: string, dir: string): Promise<RunFigures> {
  const script = `TIMEFORMAT='%3U %3S'; time git clone --quiet --depth 1 --single-branch --branch main "$0" "$1"`;
  const started = performance.now();
  const stderr = await runCaptured('bash', ['-c', script, url, dir], 'stderr');
  const wallMs = performance.now() - started;
  const [user = 'NaN', system = 'NaN'] = stderr.trim().split('\n').at(-1)!.split(' ');
  return { wallMs, cpuMs: (Number(user) + Number(system)) * 1000 };
}

async function syncInChildProcess(command: ChildCommand, url: string, cacheDir: string): Promise<SyncFigures> {
  return JSON.parse(await runCaptured(process.execPath, [...command.execArgv, command.file, url, cacheDir], 'stdout')) as SyncFigures;
}

function memory(syncs: SyncFigures[]): SyncMemory {
  return { peakRssMb: Math.max(...syncs.map((sync) => sync.maxRssMb)), loadedRssMb: median(syncs.map((sync) => sync.loadedRssMb)) };
}

async function runCaptured(command: string, args: string[], stream: 'stdout' | 'stderr'): Promise<string> {
  const child = spawn(command, args, { stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'inherit', stream === 'stderr' ? 'pipe' : 'inherit'] });
  let out = '';
  child[stream]?.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`${command} exited with ${code}`);
  return out;
}

async function timed(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await operation();
  return performance.now() - started;
}

function timing(runs: RunFigures[]): Timing {
  return {
    medianMs: median(runs.map((run) => run.wallMs)),
    fastestMs: Math.min(...runs.map((run) => run.wallMs)),
    medianCpuMs: median(runs.map((run) => run.cpuMs)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function printResult(result: AgentGitBenchResult, runs: number): void {
  const { freshSync: sync, unchangedPoll: poll } = result;
  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const clone = 'git clone --depth 1';
  console.log(`repository: ${result.files} files, ${(result.repoBytes / 1024).toFixed(0)} KiB, 3 commits; medians of ${runs} runs`);
  console.table({
    'fresh sync, median (ms)': { netfleet: round(sync.netfleet.medianMs), native: round(sync.native.medianMs), baseline: clone },
    'fresh sync, fastest (ms)': { netfleet: round(sync.netfleet.fastestMs), native: round(sync.native.fastestMs), baseline: clone },
    'fresh sync, client CPU (ms)': { netfleet: round(sync.netfleet.medianCpuMs), native: round(sync.native.medianCpuMs), baseline: clone },
    'unchanged poll (ms)': { netfleet: round(poll.netfleetMs), native: round(poll.nativeLsRemoteMs), baseline: 'git ls-remote' },
    'unchanged poll (HTTP requests)': { netfleet: poll.netfleetRequests, native: poll.nativeRequests, baseline: 'git ls-remote' },
  });
  console.log(`fresh sync: ${sync.ratio.toFixed(2)}x native by median, ${(sync.netfleet.fastestMs / sync.native.fastestMs).toFixed(2)}x by fastest run `
    + `(target <= 2x): ${check(sync.ratio <= 2)}. netfleet's time starts after its modules are loaded; git's includes its process start.`);
  const { bundled, tsx } = sync.memory;
  console.log(`fresh sync peak RSS ${bundled.peakRssMb.toFixed(1)} MB in its own process, bundled as deployed (node ${deployedAgentNodeFlags().join(' ') || 'without flags'}; target <= 100 MB): ${check(bundled.peakRssMb <= 100)}; `
    + `${bundled.loadedRssMb.toFixed(1)} MB of it before the sync starts (node + modules), ${(bundled.peakRssMb - bundled.loadedRssMb).toFixed(1)} MB added by the sync`);
  console.log(`  baseline, same run: through tsx ${tsx.peakRssMb.toFixed(1)} MB peak, ${tsx.loadedRssMb.toFixed(1)} MB before the sync starts (node + tsx + modules); `
    + `the bundle saves ${(tsx.peakRssMb - bundled.peakRssMb).toFixed(1)} MB of peak`);
  console.log(`unchanged poll: ${poll.netfleetRequests} HTTP request(s) (target 1): ${check(poll.netfleetRequests === 1)}`);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
