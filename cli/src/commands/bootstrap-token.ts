import type { Command } from 'commander';
import { writeFileDurably } from '@netfleet/agent/report/durable-file';
import { NetfleetError, type BootstrapTokenCreated } from '@netfleet/shared';
import { ExitCode, type CliCommand } from '../command.js';
import { HubClient } from '../hub-client.js';

const positiveInteger = (value: unknown, flag: string): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new NetfleetError('CLI_USAGE', `${flag} is "${String(value)}"; expected a whole number above 0`, { hint: `e.g. ${flag} 1` });
  return number;
};

/**
 * `netfleet bootstrap-token create`: a hub admin mints a bootstrap token for
 * `netfleet bootstrap`. The token goes to a file only its owner can read, never to the output.
 */
export const bootstrapTokenCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .argument('<action>', 'create')
      .option('--hub-url <url>', 'hub API base URL (NETFLEET_HUB_URL)')
      .option('--token-file <file>', 'file with an admin API token (NETFLEET_HUB_TOKEN_FILE, or NETFLEET_HUB_TOKEN)')
      .option('--out <file>', 'where to write the bootstrap token (mode 0600); required')
      .option('--ttl <seconds>', 'how long the token is valid', '3600')
      .option('--max-uses <n>', 'how many clusters may register with it', '1')
      .option('--description <text>', 'what the token is for, shown when tokens are listed')
      .addHelpText('after', '\nExample:\n  netfleet bootstrap-token create --hub-url https://hub.example.com --token-file admin-token --out bootstrap-token\n\nExit codes: 0 created, 2 refused or unreachable.');
  },

  async run(options, args, io) {
    if (args[0] !== 'create') throw new NetfleetError('CLI_USAGE', `unknown action "${String(args[0])}"`, { hint: 'netfleet bootstrap-token create --out FILE ...' });
    if (typeof options.out !== 'string') throw new NetfleetError('CLI_USAGE', 'bootstrap-token create needs --out', { hint: 'the token is written to that file (mode 0600), never printed' });
    const request = {
      ttlSeconds: positiveInteger(options.ttl, '--ttl'), maxUses: positiveInteger(options.maxUses, '--max-uses'),
      ...(typeof options.description === 'string' ? { description: options.description } : {}),
    };
    const client = await HubClient.create(options);
    const created = await client.post<BootstrapTokenCreated>('/api/v1/bootstrap-tokens', request);
    await writeFileDurably(options.out, `${created.token}\n`, 0o600);
    io.stdout.write(`bootstrap token ${created.id} (${created.maxUses} use(s), expires ${created.expiresAt}) written to ${options.out} (mode 0600)\n`);
    return ExitCode.Ok;
  },
};
