import type { Command } from 'commander';
import { NetfleetError } from '@netfleet/shared';
import { register } from '@netfleet/agent/report/index';
import { ExitCode, type CliCommand } from '../command.js';
import { parseHubUrl, readTokenFile } from '../hub-client.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

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
    const labels: Record<string, string> = {};
    for (const label of (options.label as string[] | undefined) ?? []) {
      const equals = label.indexOf('=');
      if (equals <= 0) throw new NetfleetError('CLI_INVALID_LABEL', `label ${label} is not key=value`, { hint: 'e.g. --label tier=prod' });
      labels[label.slice(0, equals)] = label.slice(equals + 1);
    }
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
