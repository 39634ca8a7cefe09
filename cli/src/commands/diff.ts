import type { Command } from 'commander';
import { createLogger } from '@netfleet/shared';
import { InventoryStore, KubeClient, renderCluster, resolveAgentOptions } from '@netfleet/agent';
import { buildSource } from '@netfleet/agent/daemon/build';
import { previewDiff } from '@netfleet/agent/reconcile/preview';
import { addRepositoryOptions } from '../repository.js';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { formatData, isDataFormat, outputOption } from '../output.js';

/** `netfleet diff`: what a sync would change, as unified diffs; exit codes like `kubectl diff`. */
export const diffCommand: CliCommand = {
  define(command: Command): Command {
    return addRepositoryOptions(command.requiredOption('--repo <url|dir>', 'fleet repository: https or SSH URL, or local directory'))
      .requiredOption('--cluster <name>', 'the cluster\'s name in the fleet')
      .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG / ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (default: its current context)')
      .option('--namespace <ns>', 'the agent\'s namespace, to show what would be pruned (default netfleet-system)')
      .option('--cache-dir <dir>', 'git cache directory')
      .addOption(outputOption(['diff'], 'diff: a unified diff per object'));
  },

  async run(flags: Record<string, unknown>, _args: string[], io: CliIO): Promise<number> {
    const options = await resolveAgentOptions({ flags, env: {} });
    const logger = createLogger({ name: 'diff', level: 'warn', destination: io.stderr });
    const { source, close } = await buildSource(options, logger);
    try {
      const fetched = await source.fetch();
      const rendered = await renderCluster(fetched.reader, options.cluster);
      const client = new KubeClient({ kubeconfigPath: options.kubeconfig, context: options.context });
      const { inventory } = await new InventoryStore(client, { namespace: options.namespace, cluster: options.cluster }).load();
      const diffs = await previewDiff(client, rendered.objects, inventory);
      if (isDataFormat(flags.output)) {
        const differences = diffs.map((diff) => ({ object: diff.id, diff: diff.text }));
        io.stdout.write(formatData(flags.output, { cluster: options.cluster, revision: fetched.revision, differences }));
      } else {
        for (const diff of diffs) io.stdout.write(diff.text);
      }
      return diffs.length > 0 ? ExitCode.Findings : ExitCode.Ok;
    } finally {
      close();
    }
  },
};
