import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { INVENTORY_CONFIGMAP, InventoryStore, KubeClient, type Inventory } from '@netfleet/agent';
import { deleteAll, type DeleteResult } from '@netfleet/agent/ssa/delete';
import { Action, NetfleetError, type KubeObject } from '@netfleet/shared';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { DEFAULT_AGENT_NAMESPACE, addClusterOptions, clusterKubeConfig } from '../install/agent-install.js';
import { PART_OF_LABEL, agentObjectPaths, describePath, type AgentObjectPath } from '../install/agent-objects.js';
import { INSTALL_FIELD_MANAGER } from '../install/apply.js';

/** An agent object found in the cluster, and why it stays if it does. */
interface Found {
  path: AgentObjectPath;
  live: KubeObject;
  kept?: string;
}

async function findAgentObjects(kube: KubeClient, namespace: string): Promise<Found[]> {
  const found: Found[] = [];
  for (const path of agentObjectPaths(namespace)) {
    const live = await kube.get(path);
    if (!live) continue;
    // A namespace the agent was installed into but netfleet did not create (say `default`) stays.
    const foreignNamespace = path.kind === 'Namespace' && live.metadata.labels?.[PART_OF_LABEL] !== 'netfleet';
    found.push({ path, live, ...(foreignNamespace ? { kept: `kept: not labelled ${PART_OF_LABEL}=netfleet, so not created by netfleet` } : {}) });
  }
  return found;
}

const managedLine = (result: DeleteResult, verb: string) => {
  const { entry } = result;
  const word = entry.action === Action.Deleted ? verb : entry.action === Action.Skipped ? 'keep' : 'failed';
  return `  ${word.padEnd(6)} ${describePath(entry.subject)}${entry.message ? `  (${entry.message})` : ''}\n`;
};

async function confirmed(options: Record<string, unknown>, io: CliIO): Promise<boolean> {
  if (options.yes === true) return true;
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: io.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question('delete these? [y/N] ')).trim());
  } finally {
    prompt.close();
  }
}

/** `netfleet uninstall agent`: the agent's objects and, with --prune-managed, what it applied, listed first, deleted when confirmed. */
export const uninstallCommand: CliCommand = {
  define(command: Command): Command {
    return addClusterOptions(command.argument('<component>', 'what to uninstall: agent'))
      .option('--namespace <ns>', `the agent's namespace (default ${DEFAULT_AGENT_NAMESPACE})`)
      .option('--prune-managed', 'also delete what the agent applied (its inventory), except objects annotated netfleet.io/prune=disabled or no longer labelled as managed by netfleet')
      .option('--yes', 'delete without asking (without it, and without a terminal to ask on, only the listing is printed)')
      .addHelpText('after', '\nExit codes: 0 deleted (or nothing to delete), 1 listed only (not confirmed) or some object could not be deleted, 2 error.');
  },

  async run(options, args, io) {
    if (args[0] !== 'agent') throw new NetfleetError('CLI_USAGE', `cannot uninstall "${String(args[0])}"`, { hint: 'netfleet uninstall agent [--prune-managed] [--yes]' });
    const namespace = String(options.namespace ?? DEFAULT_AGENT_NAMESPACE);
    const kubeConfig = clusterKubeConfig(options);
    const kube = new KubeClient({ kubeConfig, fieldManager: INSTALL_FIELD_MANAGER });
    const found = await findAgentObjects(kube, namespace);
    const inventory: Inventory | undefined = (await new InventoryStore(kube, { namespace, cluster: '' }).read())?.inventory;
    const prune = options.pruneManaged === true;
    const plan = prune && inventory ? await deleteAll(kube, inventory.entries(), { dryRun: true }) : [];

    io.stdout.write(`cluster ${kubeConfig.getCurrentCluster()?.server ?? '(current context)'}, agent namespace ${namespace}\n`);
    if (found.length === 0) io.stdout.write('no agent objects found\n');
    else io.stdout.write(`the agent's objects:\n${found.map((item) => `  ${item.kept ? 'keep  ' : 'delete'} ${describePath(item.path)}${item.kept ? `  (${item.kept})` : ''}\n`).join('')}`);
    if (prune) {
      io.stdout.write(inventory ? `what the agent applied (inventory ${namespace}/${INVENTORY_CONFIGMAP}, ${inventory.size} objects):\n${plan.map((result) => managedLine(result, 'delete')).join('')}` : 'no inventory: the agent applied nothing here, or it is gone\n');
    } else if (inventory && inventory.size > 0) {
      io.stdout.write(`the ${inventory.size} objects the agent applied stay (pass --prune-managed to delete them too)\n`);
    }
    const toDelete = found.filter((item) => !item.kept).length + plan.filter((result) => result.entry.action === Action.Deleted).length;
    if (toDelete === 0) {
      io.stdout.write('nothing to delete\n');
      return ExitCode.Ok;
    }
    if (!(await confirmed(options, io))) {
      io.stdout.write('dry run: nothing deleted; run again with --yes to delete the objects listed\n');
      return ExitCode.Findings;
    }

    const remove = async (item: Found) => {
      await kube.delete(item.path, { uid: item.live.metadata.uid as string | undefined });
      io.stdout.write(`deleted ${describePath(item.path)}\n`);
    };
    const [first, ...rest] = found.filter((item) => !item.kept);
    // The agent goes first, so it applies nothing while what it applied is deleted.
    if (first?.path.kind === 'Deployment') await remove(first);
    else if (first) rest.unshift(first);
    const results = prune && inventory ? await deleteAll(kube, inventory.entries()) : [];
    for (const result of results) io.stdout.write(managedLine(result, 'deleted'));
    const survived = results.filter((result) => result.survived);
    // What could not be deleted stays in the inventory, and the inventory with its namespace, for another run.
    const keepInventory = survived.length > 0;
    for (const item of rest) {
      if (keepInventory && (item.path.kind === 'Namespace' || item.path.name === INVENTORY_CONFIGMAP)) continue;
      await remove(item);
    }
    if (survived.length > 0) {
      io.stdout.write(`${survived.length} object(s) the agent applied could not be deleted; the inventory and namespace ${namespace} stay: run uninstall again\n`);
      return ExitCode.Findings;
    }
    io.stdout.write('uninstalled\n');
    return ExitCode.Ok;
  },
};
