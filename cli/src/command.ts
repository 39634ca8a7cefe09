import type { Command } from 'commander';

/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * One `netfleet` subcommand. `define` declares its name, arguments, options and help on a
 * fresh commander Command; `run` does the work and returns the exit code instead of
 * calling process.exit, so cleanup always runs.
 */
export interface CliCommand {
  define(command: Command): Command;
  run(options: Record<string, unknown>, args: string[], io: CliIO): Promise<number>;
}

/** Conventional exit codes. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and found problems (invalid config, differences, failed sync). */
  Findings: 1,
  /** The command could not do its job (bad usage, unreachable server, internal error). */
  Error: 2,
} as const;
