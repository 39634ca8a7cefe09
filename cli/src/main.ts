import { Command, CommanderError } from 'commander';
import { NetfleetError } from '@netfleet/shared/errors';
import { ExitCode, type CliIO } from './command.js';
import { commands, type CommandEntry } from './commands/index.js';
import { completionCommand } from './completion.js';
import cliPackage from '../package.json' with { type: 'json' };

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** Formats an error for a person: code badge, message, hint; a stack only for bugs. */
export function formatError(error: unknown): string {
  if (error instanceof NetfleetError) {
    return `ERR ${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}\n`;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `ERR NETFLEET_INTERNAL: unexpected failure, please report it with this output\n${text}\n`;
}

/** The subcommand `argv` names (`netfleet help <command>` included), if any. */
function requestedCommand(argv: string[]): string | undefined {
  const positional = argv.filter((arg) => !arg.startsWith('-'));
  return positional[0] === 'help' ? positional[1] : positional[0];
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const output = {
    writeOut: (text: string) => io.stdout.write(text),
    writeErr: (text: string) => io.stderr.write(text),
  };
  const program = new Command('netfleet')
    .description('GitOps for the network configuration of a fleet of Deckhouse Kubernetes Platform clusters')
    .version(cliPackage.version, '-V, --version', 'print the netfleet version')
    .exitOverride()
    .configureOutput(output);
  const requested = requestedCommand(argv);
  const entries: CommandEntry[] = [...commands, completionCommand];
  try {
    for (const entry of entries) {
      // addCommand does not pass the output settings down; subcommand help must reach `io` too.
      const sub = new Command(entry.name).description(entry.summary).exitOverride().configureOutput(output);
      // Only the command that runs is loaded; the others are listed by name and summary.
      if (entry.name === requested) {
        const command = await entry.load();
        command.define(sub).action(async (...params: unknown[]) => {
          const self = params[params.length - 1] as Command;
          exitCode = await command.run(self.opts(), self.args, io);
        });
      }
      program.addCommand(sub);
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Error;
    }
    io.stderr.write(formatError(error));
    return ExitCode.Error;
  }
}
