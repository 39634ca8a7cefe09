/**
 * The agent benchmarks run their measured child processes two ways: through tsx, as a
 * checkout runs, and bundled by `scripts/build.ts`, as production runs
 * (`node dist/netfleet.mjs`, with the node flags of deploy/agent/agent.yaml's command), so the memory
 * the bundle saves shows in the same run.
 */
import { basename, join } from 'node:path';
import { bundle, DIST_DIR } from '../scripts/build.js';
import { deployedMemoryLimitMb, deployedNodeFlags } from './deployed-container.js';

/** The node flags the agent's Deployment runs the bundle with (deploy/agent/agent.yaml). */
export const deployedAgentNodeFlags = (): string[] => deployedNodeFlags('agent/agent.yaml', 'agent');

/** The agent container's memory limit in MB (deploy/agent/agent.yaml). */
export const deployedAgentMemoryLimitMb = (): number => deployedMemoryLimitMb('agent/agent.yaml', 'agent');

export type ChildRuntime = 'tsx' | 'bundle';

/** How to start one child script: the file node runs and node's own flags. */
export interface ChildCommand {
  file: string;
  execArgv: string[];
}

/**
 * Bundles the child script `source` as the production bundle is built (under dist/, where
 * its external packages resolve) and returns the command for each runtime.
 */
export async function childCommands(source: string): Promise<Record<ChildRuntime, ChildCommand>> {
  const name = basename(source, '.ts');
  const [file] = await bundle({ entries: { [name]: source }, outdir: join(DIST_DIR, 'bench', name) });
  return { tsx: { file: source, execArgv: ['--import', 'tsx'] }, bundle: { file: file!, execArgv: deployedAgentNodeFlags() } };
}
