import { formatProblem, sortProblems, type ConfigProblem } from '@netfleet/shared';
import type { CliIO } from '../command.js';

/** Prints config problems one per line in file order, then the count. */
export function printProblems(io: CliIO, problems: ConfigProblem[]): void {
  for (const problem of sortProblems(problems)) io.stderr.write(`${formatProblem(problem)}\n`);
  io.stderr.write(`${problems.length === 1 ? '1 problem' : `${problems.length} problems`} found\n`);
}
