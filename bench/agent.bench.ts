/**
 * `pnpm bench:agent`: the agent's benchmarks, one section each, run in order.
 * Each section prints its figures against a baseline measured in the same run.
 */
import { runAgentApplyBench } from './agent-apply.js';
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
];

for (const section of sections) {
  console.log(`\n== ${section.name} ==`);
  await section.run();
}
