/**
 * Unchanged poll of a repository with many refs besides the followed branch (GitHub's
 * `refs/pull/*`, GitLab's `refs/merge-requests/*`), served by `git http-backend`: bytes
 * the server sends for one poll under protocol v2 (`ls-refs` with a prefix) against a
 * server speaking only v0 (the whole ref advertisement), measured in the same run, with
 * `git ls-remote` as the native baseline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../shared/src/log.js';
import { GitSource } from '../git/src/index.js';
import { runGit } from '../test/src/git-cli.js';
import { createWorkTree } from '../test/src/git-repo.js';
import { startGitServer, type GitServer } from '../test/src/git-server.js';

export interface PollWithRefsFigures {
  /** Response body bytes of one unchanged poll, and its HTTP requests. */
  bytes: number;
  requests: number;
  medianMs: number;
}

export interface AgentGitRefsBenchResult {
  extraRefs: number;
  v2: PollWithRefsFigures;
  v0: PollWithRefsFigures;
  nativeLsRemote: PollWithRefsFigures;
}

/** Run the many-refs poll benchmark, print its figures and return them. */
export async function runAgentGitRefsBench(options: { extraRefs?: number; runs?: number } = {}): Promise<AgentGitRefsBenchResult> {
  const extraRefs = options.extraRefs ?? 5000;
  const runs = options.runs ?? 9;
  const scratch = await mkdtemp(join(tmpdir(), 'netfleet-bench-refs-'));
  const v2Server = await startGitServer();
  const v0Server = await startGitServer({ protocolV2: false });
  try {
    const v2Url = await repositoryWithRefs(v2Server, extraRefs);
    const v0Url = await repositoryWithRefs(v0Server, extraRefs);
    const result: AgentGitRefsBenchResult = {
      extraRefs,
      v2: await measure(v2Server, runs, await warmSource(v2Url, join(scratch, 'v2'))),
      v0: await measure(v0Server, runs, await warmSource(v0Url, join(scratch, 'v0'))),
      nativeLsRemote: await measure(v2Server, runs, () => runGit(['ls-remote', v2Url, 'refs/heads/main'])),
    };
    printResult(result, runs);
    return result;
  } finally {
    await Promise.all([v2Server.dispose(), v0Server.dispose()]);
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A source with the branch fetched, so each poll is the steady state of a running agent. */
async function warmSource(url: string, cacheDir: string): Promise<() => Promise<unknown>> {
  const source = new GitSource({ url, cacheDir, logger: createLogger({ name: 'bench', level: 'warn' }) });
  await source.snapshot();
  return async () => {
    if ((await source.poll()).changed) throw new Error('the unchanged poll reported a change');
  };
}

/** One poll's bytes and requests, then the median time of `runs` polls. */
async function measure(server: GitServer, runs: number, poll: () => Promise<unknown>): Promise<PollWithRefsFigures> {
  server.clearLog();
  await poll();
  const bytes = server.requests.reduce((sum, request) => sum + request.responseBytes, 0);
  const requests = server.requests.length;
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await poll();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { bytes, requests, medianMs: times[Math.floor(times.length / 2)]! };
}

async function repositoryWithRefs(server: GitServer, extraRefs: number): Promise<string> {
  const repo = await server.createRepo('busy-fleet');
  const tree = await createWorkTree(repo.dir);
  try {
    await tree.write({ 'fleet.yaml': 'clusters: [a]\n' });
    const head = await tree.commit('fleet');
    await tree.push();
    // As on GitHub: one head ref per pull request.
    await server.addRefs(repo, 'refs/pull/', extraRefs, head);
  } finally {
    await tree.dispose();
  }
  return repo.url;
}

function printResult(result: AgentGitRefsBenchResult, runs: number): void {
  const row = (figures: PollWithRefsFigures, baseline: string) => ({
    'bytes received': figures.bytes, 'HTTP requests': figures.requests, 'median (ms)': Math.round(figures.medianMs * 10) / 10, baseline,
  });
  console.log(`repository: 1 branch and ${result.extraRefs} refs/pull/* refs; medians of ${runs} polls`);
  console.table({
    'netfleet, server with protocol v2': row(result.v2, 'ls-refs ref-prefix refs/heads/main'),
    'netfleet, server with protocol v0 only': row(result.v0, 'whole ref advertisement'),
    'git ls-remote refs/heads/main (v2)': row(result.nativeLsRemote, 'native: its patterns match name tails, so it lists every ref'),
  });
  const share = result.v2.bytes / result.v0.bytes;
  console.log(`unchanged poll with ${result.extraRefs} extra refs: v2 receives ${(share * 100).toFixed(2)}% of v0's bytes `
    + `(${result.v2.bytes} vs ${result.v0.bytes}; target <= 10%): ${share <= 0.1 ? 'ok' : 'MISSED'}`);
}
