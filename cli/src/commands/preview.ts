import type { Command } from 'commander';
import { formatData, isDataFormat, outputOption } from '../output.js';
import { ExitCode, type CliCommand } from '../command.js';
import { previewMarkdown, previewText } from '../preview/format.js';
import { InvalidRevisionError, previewRepository } from '../preview/repository.js';
import { printProblems } from './repo-problems.js';

type Output = 'text' | 'markdown' | 'json' | 'yaml';

/** `netfleet preview`: what a change of the fleet repository does to every cluster. */
export const previewCommand: CliCommand = {
  define(command: Command): Command {
    return command
      .option('--repo <dir>', 'the fleet repository: a git work tree or a folder inside one', '.')
      .option('--from <rev>', 'the revision the fleet runs now (default: the merge base of HEAD with --branch)')
      .option('--to <rev>', 'the revision to preview (default: the working tree, uncommitted changes included)')
      .option('--branch <name>', 'the branch the agents follow', 'main')
      .option('--prune-limit <share>', 'the agents\' prune limit, as given to `netfleet agent`', '0.5')
      .addOption(outputOption(['text', 'markdown'], 'text, or markdown (for a pull-request comment)'))
      .addHelpText('after', [
        '', 'Revisions are read from the local repository; nothing is fetched.', '',
        'Examples:',
        '  netfleet preview --repo .                       # the working tree against the merge base with main',
        '  netfleet preview --repo . --from main --to HEAD -o markdown',
        '', 'Exit codes: 0 nothing changes, 1 something changes, 2 error (bad usage, unknown revision, invalid repository).',
      ].join('\n'));
  },

  async run(options, _args, io) {
    const pruneLimit = Number(options.pruneLimit);
    if (!Number.isFinite(pruneLimit) || pruneLimit < 0 || pruneLimit > 1) {
      io.stderr.write(`error: --prune-limit is "${String(options.pruneLimit)}"; expected a number from 0 to 1\n`);
      return ExitCode.Error;
    }
    try {
      const preview = await previewRepository({
        repo: String(options.repo), branch: String(options.branch), pruneLimit,
        ...(options.from === undefined ? {} : { from: String(options.from) }),
        ...(options.to === undefined ? {} : { to: String(options.to) }),
      });
      const output = options.output as Output;
      io.stdout.write(isDataFormat(output) ? formatData(output, preview) : output === 'markdown' ? previewMarkdown(preview) : previewText(preview));
      return preview.changes ? ExitCode.Findings : ExitCode.Ok;
    } catch (error) {
      if (!(error instanceof InvalidRevisionError)) throw error;
      io.stderr.write(`the fleet at ${error.side} has problems, so it cannot be previewed:\n`);
      printProblems(io, error.problems);
      return ExitCode.Error;
    }
  },
};
