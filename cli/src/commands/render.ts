import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, loadFleet, render, renderFleet, type Fleet, type RenderResult } from '@netfleet/shared';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { formatData } from '../output.js';
import { addRepositoryOptions, openFleetRepository } from '../repository.js';
import { printProblems } from './repo-problems.js';

type Output = 'yaml' | 'json' | 'summary';

/** `netfleet render`: the objects one cluster (or every cluster) should contain. */
export const renderCommand: CliCommand = {
  define(command: Command): Command {
    return addRepositoryOptions(command.requiredOption('--repo <url|dir>', 'fleet repository: https or SSH URL (its branch head), or local directory'))
      .option('--cluster <name>', 'the cluster to render')
      .option('--all', 'render every cluster of the inventory')
      .addOption(new Option('-o, --output <format>', 'yaml or json (default for --cluster: yaml, kubectl reads it); summary (default for --all); with --all, json and yaml list every cluster with its objects').choices(['yaml', 'json', 'summary']))
      .addHelpText('after', '\nExamples:\n  netfleet render --repo examples/fleet --cluster eu-fra-1\n  netfleet render --repo examples/fleet --all\n\nExit codes: 0 rendered, 1 the repository has problems, 2 bad usage or unknown cluster.');
  },

  async run(options, _args, io) {
    const cluster = options.cluster as string | undefined;
    const all = options.all === true;
    if (all === (cluster !== undefined)) {
      io.stderr.write('error: give exactly one of --cluster <name> or --all\n');
      return ExitCode.Error;
    }
    let fleet: Fleet;
    const repository = await openFleetRepository(options, io);
    try {
      fleet = await loadFleet(repository.reader);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      printProblems(io, error.problems);
      return ExitCode.Findings;
    } finally {
      await repository.close();
    }
    const output = (options.output as Output | undefined) ?? (all ? 'summary' : 'yaml');
    if (!all) {
      try {
        writeResults(io, [render(fleet, cluster!)], output);
        return ExitCode.Ok;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        printProblems(io, error.problems);
        return ExitCode.Findings;
      }
    }
    const { results, problems } = renderFleet(fleet);
    writeResults(io, [...results.values()], output, fleet);
    if (problems.length === 0) return ExitCode.Ok;
    printProblems(io, problems);
    return ExitCode.Findings;
  },
};

/**
 * One cluster: its objects as kubectl reads them (a multi-document YAML stream, or a JSON
 * `List`). Every cluster (`--all`): `{ clusters: [{ name, region, hash, objects }] }` in JSON
 * or YAML, the objects in apply order and `hash` the set hash the agent reports.
 */
function writeResults(io: CliIO, results: RenderResult[], output: Output, fleet?: Fleet): void {
  if (output === 'summary') {
    io.stdout.write(summary(results, fleet));
    return;
  }
  if (fleet) {
    const clusters = results.map((result) => ({
      name: result.cluster, region: fleet.clusters.get(result.cluster)?.region ?? '', hash: result.hash, objects: result.objects.map((rendered) => rendered.object),
    }));
    io.stdout.write(formatData(output, { clusters }));
    return;
  }
  const objects = results[0]!.objects.map((rendered) => rendered.object);
  io.stdout.write(output === 'json'
    ? formatData('json', { apiVersion: 'v1', kind: 'List', items: objects })
    : objects.map((object) => `---\n${stringify(object, { lineWidth: 0 })}`).join(''));
}

/** One block per cluster: region, object count, set hash, and objects by kind. */
function summary(results: RenderResult[], fleet?: Fleet): string {
  const lines: string[] = [];
  if (fleet) {
    const regions = new Set([...fleet.clusters.values()].map((cluster) => cluster.region));
    const objects = results.reduce((sum, result) => sum + result.objects.length, 0);
    lines.push(`${results.length} of ${fleet.clusters.size} clusters rendered, ${regions.size} regions, ${objects} objects`, '');
  }
  for (const result of results) {
    const region = fleet?.clusters.get(result.cluster)?.region ?? '';
    lines.push(`${result.cluster.padEnd(14)} ${region.padEnd(12)} ${String(result.objects.length).padStart(3)} objects  set ${result.hash.slice(0, 12)}`);
    const kinds = new Map<string, number>();
    for (const { object } of result.objects) kinds.set(object.kind, (kinds.get(object.kind) ?? 0) + 1);
    lines.push(`  ${[...kinds].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  }
  if (fleet) {
    lines.push('');
    for (const group of fleet.meshGroups) lines.push(`mesh ${group.type} ${group.name}: ${group.members.join(', ')}`);
    for (const policy of fleet.rolloutPolicies) lines.push(`rollout ${policy.name}: ${policy.waves.map((wave) => wave.name).join(' → ')} (on failure: ${policy.onFailure})`);
  }
  return `${lines.join('\n')}\n`;
}
