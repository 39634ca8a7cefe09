import type { Command } from 'commander';
import { register } from '@netfleet/agent/report/index';
import { ExitCode, type CliCommand } from '../command.js';
import { parseHubUrl, readTokenFile } from '../hub-client.js';
import { collect, parseLabels } from '../labels.js';

/** `netfleet register`: registers this cluster with the hub and saves its credentials. */
export const registerCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .requiredOption('--hub-url <url>', 'hub API base URL')
      .requiredOption('--bootstrap-token-file <file>', 'file with the bootstrap token an admin created')
      .requiredOption('--cluster <name>', 'this cluster\'s name in the fleet')
      .requiredOption('--region <region>', 'this cluster\'s region')
      .option('--label <key=value>', 'a label (repeatable)', collect)
      .requiredOption('--credentials-file <file>', 'where to write the credentials')
      .addHelpText('after', '\nExit codes: 0 registered, 2 refused or unreachable.');
  },

  async run(options, _args, io) {
    const labels = parseLabels(options.label as string[] | undefined);
    const hubUrl = parseHubUrl(String(options.hubUrl), '--hub-url');
    const bootstrapToken = await readTokenFile(String(options.bootstrapTokenFile), '--bootstrap-token-file');
    const credentials = await register({
      hubUrl, bootstrapToken, cluster: String(options.cluster), region: String(options.region), labels,
      credentialsFile: String(options.credentialsFile),
    });
    io.stdout.write(`registered ${credentials.cluster}; credentials (key generation ${credentials.keyGeneration}) written to ${String(options.credentialsFile)}\n`);
    return ExitCode.Ok;
  },
};
