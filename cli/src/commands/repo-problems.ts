import { ConfigError, formatProblem, type ConfigProblem } from '@netfleet/shared';
import type { CliIO } from '../command.js';

/** Prints config problems one per line, then the count and what to do. */
export function printProblems(io: CliIO, problems: ConfigProblem[]): void {
  const sorted = new ConfigError(problems).problems;
  for (const problem of sorted) io.stderr.write(`${formatProblem(problem)}\n`);
  io.stderr.write(`${sorted.length === 1 ? '1 problem' : `${sorted.length} problems`} found\n`);
}
