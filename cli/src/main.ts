import { Command, CommanderError } from 'commander';
import { NetfleetError } from '@netfleet/shared';
import { ExitCode, type CliIO } from './command.js';
import { commands } from './commands/index.js';

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** Formats an error for a person: code badge, message, hint; a stack only for bugs. */
export function formatError(error: unknown): string {
  if (error instanceof NetfleetError) {
    return `ERR ${error.code}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}\n`;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `ERR NETFLEET_INTERNAL: unexpected failure, please report it with this output\n${text}\n`;
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
    .exitOverride()
    .configureOutput(output);
  for (const command of commands) {
    // addCommand does not pass the output settings down; subcommand help must reach `io` too.
    const sub = command.define(new Command()).exitOverride().configureOutput(output);
    sub.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      exitCode = await command.run(self.opts(), self.args, io);
    });
    program.addCommand(sub);
  }
  try {
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
