/**
 * What the shipped manifests run: the benchmarks start their processes with the node flags
 * of a Deployment's container and compare with its memory limit, so a figure measures what
 * is deployed.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface Container {
  name: string;
  command?: string[];
  resources?: { limits?: { memory?: string } };
}

/** The container `name` of the Deployment in `manifest` (a path under deploy/). */
function deployedContainer(manifest: string, name: string): Container {
  const file = new URL(`../deploy/${manifest}`, import.meta.url);
  for (const document of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const object = document.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } };
    const container = object.kind === 'Deployment' ? object.spec?.template?.spec?.containers?.find((one) => one.name === name) : undefined;
    if (container) return container;
  }
  throw new Error(`deploy/${manifest} has no Deployment with a container named ${name}`);
}

/** The node flags the container runs the bundle with (its command: `node FLAGS... BUNDLE`). */
export function deployedNodeFlags(manifest: string, name: string): string[] {
  const command = deployedContainer(manifest, name).command;
  if (command?.[0] !== 'node') throw new Error(`deploy/${manifest} runs no \`node FLAGS... BUNDLE\` command in the ${name} container`);
  return command.slice(1, -1);
}

/** The container's memory limit in MB (`resources.limits.memory`, in Mi). */
export function deployedMemoryLimitMb(manifest: string, name: string): number {
  const limit = /^(\d+)Mi$/.exec(deployedContainer(manifest, name).resources?.limits?.memory ?? '');
  if (!limit) throw new Error(`deploy/${manifest} sets no memory limit in Mi for the ${name} container`);
  return Number(limit[1]) * 1.048576;
}
