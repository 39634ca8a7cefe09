/**
 * Git source benchmark: a generated 2,000-file repository served by `git http-backend`;
 * netfleet's fresh sync against `git clone --depth 1`, and its unchanged poll against
 * `git ls-remote`, in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../shared/src/log.js';
import { GitSource } from '../agent/src/source/index.js';
import { runGit } from '../test/src/git-cli.js';
import { createWorkTree } from '../test/src/git-repo.js';
import { startGitServer, type GitServer } from '../test/src/git-server.js';

export interface AgentGitBenchOptions {
  /** Files in the generated repository. Default 2000. */
  files?: number;
  /** Runs per measurement; the median (and the fastest) is reported. Default 7. */
  runs?: number;
}

export interface AgentGitBenchResult {
  files: number;
  repoBytes: number;
  freshSync: {
    netfleetMs: number; nativeCloneMs: number; ratio: number;
    /** Fastest runs: less disturbed by other load on the machine. */
    netfleetMinMs: number; nativeCloneMinMs: number;
    peakRssMb: number; loadedRssMb: number;
  };
  unchangedPoll: { netfleetMs: number; nativeLsRemoteMs: number; netfleetRequests: number; nativeRequests: number };
}

const SYNC_SCRIPT = fileURLToPath(new URL('./agent-git-sync.ts', import.meta.url));

/** Run the git source benchmark, print its figures and return them. */
export async function runAgentGitBench(options: AgentGitBenchOptions = {}): Promise<AgentGitBenchResult> {
  const files = options.files ?? 2000;
  const runs = options.runs ?? 7;
  const scratch = await mkdtemp(join(tmpdir(), 'netfleet-bench-git-'));
  const server = await startGitServer();
  try {
    const { url, repoBytes } = await generateRepository(server, files);

    const native: number[] = [];
    const ours: SyncFigures[] = [];
    // Interleaved, so a background hiccup hurts both sides alike.
    for (let run = 0; run < runs; run += 1) {
      native.push(await timed(() => runGit(['clone', '--quiet', '--depth', '1', '--single-branch', '--branch', 'main', url, join(scratch, `native-${run}`)])));
      ours.push(await syncInChildProcess(url, join(scratch, `cache-${run}`)));
    }
    if (ours.some((sync) => sync.files !== files)) throw new Error(`a sync read ${ours.map((s) => s.files).join(',')} files, expected ${files}`);

    const source = new GitSource({ url, cacheDir: join(scratch, 'cache-0'), logger: createLogger({ name: 'bench', level: 'warn' }) });
    await source.poll();
    server.clearLog();
    const pollChanged = (await source.poll()).changed;
    const netfleetRequests = server.requests.length;
    if (pollChanged) throw new Error('the unchanged poll reported a change');
    server.clearLog();
    await runGit(['ls-remote', url, 'refs/heads/main']);
    const nativeRequests = server.requests.length;
    const pollTimes: number[] = [];
    const lsRemoteTimes: number[] = [];
    for (let run = 0; run < runs * 4; run += 1) {
      pollTimes.push(await timed(() => source.poll()));
      lsRemoteTimes.push(await timed(() => runGit(['ls-remote', url, 'refs/heads/main'])));
    }
    source.close();

    const netfleetMs = median(ours.map((sync) => sync.syncMs));
    const nativeCloneMs = median(native);
    const result: AgentGitBenchResult = {
      files,
      repoBytes,
      freshSync: {
        netfleetMs, nativeCloneMs, ratio: netfleetMs / nativeCloneMs,
        netfleetMinMs: Math.min(...ours.map((sync) => sync.syncMs)), nativeCloneMinMs: Math.min(...native),
        peakRssMb: Math.max(...ours.map((sync) => sync.maxRssMb)), loadedRssMb: median(ours.map((sync) => sync.loadedRssMb)) },
      unchangedPoll: { netfleetMs: median(pollTimes), nativeLsRemoteMs: median(lsRemoteTimes), netfleetRequests, nativeRequests },
    };
    printResult(result, runs);
    return result;
  } finally {
    await server.dispose();
    await rm(scratch, { recursive: true, force: true });
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

interface SyncFigures { syncMs: number; maxRssMb: number; loadedRssMb: number; files: number }

async function syncInChildProcess(url: string, cacheDir: string): Promise<SyncFigures> {
  const child = spawn(process.execPath, ['--import', 'tsx', SYNC_SCRIPT, url, cacheDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`sync child exited with ${code}`);
  return JSON.parse(out) as SyncFigures;
}

async function timed(operation: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await operation();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function printResult(result: AgentGitBenchResult, runs: number): void {
  const { freshSync: sync, unchangedPoll: poll } = result;
  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log(`repository: ${result.files} files, ${(result.repoBytes / 1024).toFixed(0)} KiB, 3 commits; medians of ${runs} runs`);
  console.table({
    'fresh sync, median (ms)': { netfleet: round(sync.netfleetMs), native: round(sync.nativeCloneMs), baseline: 'git clone --depth 1' },
    'fresh sync, fastest (ms)': { netfleet: round(sync.netfleetMinMs), native: round(sync.nativeCloneMinMs), baseline: 'git clone --depth 1' },
    'unchanged poll (ms)': { netfleet: round(poll.netfleetMs), native: round(poll.nativeLsRemoteMs), baseline: 'git ls-remote' },
    'unchanged poll (HTTP requests)': { netfleet: poll.netfleetRequests, native: poll.nativeRequests, baseline: 'git ls-remote' },
  });
  console.log(`fresh sync ratio ${sync.ratio.toFixed(2)}x native by median, ${(sync.netfleetMinMs / sync.nativeCloneMinMs).toFixed(2)}x by fastest run (target <= 2x): ${check(sync.ratio <= 2)}`);
  console.log(`fresh sync peak RSS ${sync.peakRssMb.toFixed(1)} MB in its own process (target <= 100 MB): ${check(sync.peakRssMb <= 100)}; `
    + `${sync.loadedRssMb.toFixed(1)} MB of it before the sync starts (node + tsx + modules), ${(sync.peakRssMb - sync.loadedRssMb).toFixed(1)} MB added by the sync`);
  console.log(`unchanged poll ${poll.netfleetRequests} HTTP request(s) (target 1): ${check(poll.netfleetRequests === 1)}`);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
