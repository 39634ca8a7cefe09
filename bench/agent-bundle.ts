/**
 * The agent benchmarks run their measured child processes two ways: through tsx, as a
 * checkout runs, and bundled by `scripts/build.ts`, as production runs
 * (`node dist/netfleet.mjs`, with the node flags of deploy/agent/agent.yaml's command), so the memory
 * the bundle saves shows in the same run.
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { bundle, DIST_DIR } from '../scripts/build.js';

const AGENT_MANIFEST = new URL('../deploy/agent/agent.yaml', import.meta.url);

/** The node flags the agent's Deployment runs the bundle with (its `agent` container's command: `node FLAGS... BUNDLE`). */
export function deployedAgentNodeFlags(): string[] {
  for (const document of parseAllDocuments(readFileSync(AGENT_MANIFEST, 'utf8'))) {
    const manifest = document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; command?: string[] }[] } } } };
    const agent = manifest.kind === 'Deployment' ? manifest.spec?.template?.spec?.containers?.find((container) => container.name === 'agent') : undefined;
    if (agent?.command?.[0] === 'node') return agent.command.slice(1, -1);
  }
  throw new Error('deploy/agent/agent.yaml runs no `node FLAGS... BUNDLE` command in the agent container');
}

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

/** The agent container's memory limit in MB (`resources.limits.memory` of deploy/agent/agent.yaml). */
export function deployedAgentMemoryLimitMb(): number {
  for (const document of parseAllDocuments(readFileSync(AGENT_MANIFEST, 'utf8'))) {
    const manifest = document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: { name: string; resources?: { limits?: { memory?: string } } }[] } } } };
    const agent = manifest.kind === 'Deployment' ? manifest.spec?.template?.spec?.containers?.find((container) => container.name === 'agent') : undefined;
    const limit = /^(\d+)Mi$/.exec(agent?.resources?.limits?.memory ?? '');
    if (limit) return Number(limit[1]) * 1.048576;
  }
  throw new Error('deploy/agent/agent.yaml sets no memory limit in Mi for the agent container');
}
