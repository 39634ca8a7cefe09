import type { Command } from 'commander';
import { Action, createLogger } from '@netfleet/shared';
import { AgentDaemon, AgentMetrics, renderCluster, resolveAgentOptions, type SyncResult } from '@netfleet/agent';
import { buildSource, connectHub, followAssignments } from '@netfleet/agent/daemon/build';
import { addRepositoryOptions } from '../repository.js';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { collect } from '../labels.js';

/** How long `--once` waits for the hub's assignment before it syncs without it. */
const ONCE_ASSIGNMENT_WAIT_MS = 10_000;

/** `netfleet agent`: the per-cluster daemon, or one sync with `--once`. */
export const agentCommand: CliCommand = {
  define(command: Command): Command {
    return addRepositoryOptions(command.option('--config <file>', 'YAML file with any of the options below (camelCase keys)').option('--repo <url|dir>', 'fleet repository: https or SSH URL, or local directory (NETFLEET_REPO)'))
      .option('--cluster <name>', 'this cluster\'s name in the fleet (NETFLEET_CLUSTER)')
      .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG / ~/.kube/config)')
      .option('--context <name>', 'kubeconfig context (NETFLEET_KUBE_CONTEXT; default: its current context)')
      .option('--in-cluster', 'use the pod\'s service account')
      .option('--namespace <ns>', 'the agent\'s namespace, for its inventory (default POD_NAMESPACE or netfleet-system)')
      .option('--cache-dir <dir>', 'git cache directory, kept across restarts')
      .option('--interval <seconds>', 'seconds between repository polls (default 60)')
      .option('--retry-interval <seconds>', 'seconds before retrying a sync that waits or failed transiently (default 15)')
      .option('--resync-interval <seconds>', 'seconds between full drift resyncs (default 300)')
      .option('--drift-mode <mode>', 'correct | alert, overriding each document\'s policy')
      .option('--prune-limit <share>', 'largest share of the inventory one sync may delete, 0..1 (default 0.5)')
      .option('--health-timeout <seconds>', 'seconds to wait for applied objects to become ready (default 0)')
      .option('--listen <host:port>', 'address of /healthz, /readyz and /metrics (default 0.0.0.0:8080)')
      .option('--verify <mode>', 'commit signature verification: off | warn | enforce (default off)')
      .option('--trusted-key <file>', 'trusted OpenPGP or SSH public key file (repeatable)', collect)
      .option('--hub-credentials <file>', 'credentials file written by netfleet register')
      .option('--hub-url <url>', 'hub API URL (https://); with --hub-credentials, report to the hub and apply the revision it assigns (rollouts)')
      .option('--spool-dir <dir>', 'directory of the report spool, kept across restarts')
      .option('--link-interval <seconds>', 'seconds between checks of the federation and multicluster links (default 60)')
      .option('--link-stale-after <seconds>', 'seconds after which a link\'s last metadata exchange counts as stale (default 180)')
      .option('--no-link-probes', 'do not probe the link peers\' public metadata endpoints')
      .option('--link-probe-timeout <seconds>', 'seconds one peer probe may take (default 5)')
      .option('--link-probe-concurrency <n>', 'peer probes in flight at once (default 8)')
      .option('--link-probe-ca-file <file>', 'PEM file of extra CA certificates for the peers\' metadata endpoints')
      .option('--once', 'run one full sync and exit: 0 when everything applied, 1 with the reasons otherwise')
      .option('--override-prune-limit', 'with --once: allow this sync to delete more than the prune limit');
  },

  async run(flags: Record<string, unknown>, _args: string[], io: CliIO): Promise<number> {
    const { config, once, overridePruneLimit, trustedKey, linkProbes, ...rest } = flags;
    const options = await resolveAgentOptions({
      // --no-link-probes defaults to true: pass only the opt-out, so the environment and the file still count.
      flags: { ...rest, ...(trustedKey ? { trustedKeys: trustedKey } : {}), ...(linkProbes === false ? { linkProbes: false } : {}) },
      ...(typeof config === 'string' ? { configFile: config } : {}),
    });
    const logger = createLogger({ name: 'agent', ...(once ? { destination: io.stderr } : {}) });
    const metrics = new AgentMetrics();
    // Everything opened is closed again, newest first, however the command ends: a watch,
    // a long poll or a Redis connection left open keeps the process from exiting.
    const opened: (() => unknown)[] = [];
    try {
      const built = await buildSource(options, logger, metrics);
      opened.push(() => built.close());
      const daemon = new AgentDaemon({ options, source: built.source, render: renderCluster, logger, metrics, serveHttp: !once });
      const hub = await connectHub(options, daemon.events, logger);
      if (hub) opened.push(() => hub.close());
      const assignments = await followAssignments(options, daemon, logger);
      if (assignments) opened.push(() => assignments.close());
      // Stopped first (it reports its last step to the hub); also after `--once`, whose sync
      // leaves the drift watches open.
      opened.push(() => daemon.stop());
      if (once) {
        // Sync what the hub assigns now, not what a previous run saved.
        if (assignments && !(await assignments.settled(ONCE_ASSIGNMENT_WAIT_MS))) {
          logger.warn({ hubUrl: options.hubUrl }, 'the hub did not answer the assignment request; syncing the saved assignment, or the branch head without one');
        }
        const result = await daemon.sync({ overridePruneLimit: overridePruneLimit === true });
        io.stdout.write(formatResult(result));
        return result.errorClass === undefined ? ExitCode.Ok : ExitCode.Findings;
      }
      await daemon.start();
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      logger.info('stopping after the current step');
      return ExitCode.Ok;
    } finally {
      for (const close of opened.reverse()) await close();
    }
  },
};

/** A person-readable account of one sync, one line per object that did not stay unchanged. */
export function formatResult(result: SyncResult): string {
  const lines: string[] = [];
  for (const entry of result.changeSet) {
    if (entry.action === Action.Unchanged) continue;
    const { kind, namespace, name } = entry.subject;
    lines.push(`${entry.action.padEnd(10)} ${kind}/${namespace ? `${namespace}/` : ''}${name}${entry.message ? `: ${entry.message}` : ''}`);
  }
  const unchanged = result.changeSet.filter((entry) => entry.action === Action.Unchanged).length;
  if (unchanged > 0) lines.push(`unchanged  ${unchanged} object(s)`);
  const status = result.errorClass === undefined ? 'succeeded' : `failed (${result.errorClass})`;
  lines.push(`sync ${status}: ${result.reason} at revision ${result.revision || '(none)'}; cluster at ${result.appliedRevision || '(nothing applied)'}`);
  if (result.message) lines.push(`  ${result.message}`);
  if (result.waitingFor.length > 0) lines.push(`  waiting for module(s): ${result.waitingFor.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
