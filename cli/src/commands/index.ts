import type { CliCommand } from '../command.js';

/** Every subcommand, in the order `netfleet --help` lists them. */
export const commands: CliCommand[] = [];
