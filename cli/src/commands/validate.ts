import type { Command } from 'commander';
import { ConfigError, FsRepoReader, renderRepository } from '@netfleet/shared';
import { ExitCode, type CliCommand } from '../command.js';
import { printProblems } from './repo-problems.js';

/** `netfleet validate`: loads and renders every cluster, listing every problem found. */
export const validateCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .requiredOption('--repo <dir>', 'fleet repository folder')
      .addHelpText('after', '\nExit codes: 0 valid, 1 problems found (all are listed), 2 bad usage.');
  },

  async run(options, _args, io) {
    try {
      const { results, problems } = await renderRepository(new FsRepoReader(String(options.repo)));
      if (problems.length > 0) {
        printProblems(io, problems);
        return ExitCode.Findings;
      }
      const objects = [...results.values()].reduce((sum, result) => sum + result.objects.length, 0);
      io.stdout.write(`valid: ${results.size} clusters, ${objects} objects\n`);
      return ExitCode.Ok;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      printProblems(io, error.problems);
      return ExitCode.Findings;
    }
  },
};
