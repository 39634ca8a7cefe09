/**
 * `pnpm bench:agent`: the agent's benchmarks, one section each, run in order.
 * Each section prints its figures against a baseline measured in the same run.
 */
import { loadavg } from 'node:os';
import { runAgentApplyBench, runAgentLargeBench } from './agent-apply.js';
import { runAgentGitBench } from './agent-git.js';
import { runAgentGitLargeBench } from './agent-git-large.js';
import { runAgentGitRefsBench } from './agent-git-refs.js';

interface BenchSection {
  name: string;
  run(): Promise<unknown>;
}

const sections: BenchSection[] = [
  { name: 'git source: fresh sync and unchanged poll', run: () => runAgentGitBench() },
  { name: 'git source: peak RSS of a fresh sync of one 80 MiB file', run: () => runAgentGitLargeBench() },
  { name: 'git source: unchanged poll of a repository with 5,000 extra refs, protocol v2 against v0', run: () => runAgentGitRefsBench() },
  { name: 'apply and drift: no-op resync, drift latency and RSS with 500 managed objects', run: () => runAgentApplyBench() },
  { name: 'a large cluster: first sync, no-op sync, drift latency and RSS with 5,000 managed objects', run: () => runAgentLargeBench() },
];

// Timings depend on what else runs on the machine: each section says how busy it was.
const load = () => loadavg().map((value) => value.toFixed(2)).join(' ');

for (const section of sections) {
  console.log(`\n== ${section.name} ==\nload average at start: ${load()}`);
  await section.run();
  console.log(`load average at end: ${load()}`);
}
