import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  NetfleetError, checkRenderedAgainstCrds, mergeAcrossClusters, readCrdSchemas, validateRepository,
  type ConfigProblem, type CrdSchemas, type Fleet, type RenderResult, type RepoReader,
} from '@netfleet/shared';
import { ExitCode, type CliCommand, type CliIO } from '../command.js';
import { addRepositoryOptions, openFleetRepository } from '../repository.js';
import { formatData, isDataFormat, outputOption } from '../output.js';
import { printProblems } from './repo-problems.js';

const CRD_FILE = /\.(ya?ml|json)$/;

/** Every CRD file below `dir` (as `kubectl get crd -o yaml > dir/crds.yaml` leaves them). */
async function readCrdDir(dir: string): Promise<{ schemas: CrdSchemas; problems: ConfigProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir, { recursive: true })).filter((name) => CRD_FILE.test(name)).sort();
  } catch (error) {
    throw new NetfleetError('CLI_CRDS_UNREADABLE', `cannot read the CRD folder ${dir}: ${(error as Error).message}`, { hint: 'give a folder of CRDs, e.g. written by `kubectl get crd -o yaml > crds/all.yaml`' });
  }
  const files = await Promise.all(names.map(async (name) => ({ path: join(dir, name), text: await readFile(join(dir, name), 'utf8') })));
  const read = readCrdSchemas(files);
  if (read.schemas.size === 0 && read.problems.length === 0) {
    throw new NetfleetError('CLI_CRDS_EMPTY', `no CustomResourceDefinition found in ${dir}`, { hint: 'export them with `kubectl get crd -o yaml > DIR/crds.yaml`' });
  }
  return read;
}

/** The fleet cluster a live cluster stands for: `--cluster`, else the kubeconfig context when a cluster has its name. */
function clusterToDryRun(fleet: Fleet, options: Record<string, unknown>): string {
  const named = (options.cluster as string | undefined) ?? (options.context as string | undefined);
  if (named !== undefined && fleet.clusters.has(named)) return named;
  throw new NetfleetError('CLI_USAGE', named === undefined ? '--kubeconfig needs --cluster <name>: which cluster of the fleet the live cluster is' : `cluster ${JSON.stringify(named)} is not in the inventory`, {
    hint: `give --cluster with one of: ${[...fleet.clusters.keys()].slice(0, 20).join(', ')}`,
  });
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** `netfleet validate`: loads and renders every cluster, listing every problem found. */
export const validateCommand: CliCommand = {
  define(command: Command): Command {
    return addRepositoryOptions(command.requiredOption('--repo <url|dir>', 'fleet repository: https or SSH URL (its branch head), or local directory'))
      .option('--crds <dir>', 'also check rendered objects against these CustomResourceDefinitions (files as written by `kubectl get crd -o yaml`)')
      .option('--kubeconfig <file>', 'also send one cluster\'s objects to its API server as a server-side dry run (nothing is stored)')
      .option('--context <name>', 'kubeconfig context for --kubeconfig (default: the current context)')
      .option('--cluster <name>', 'the fleet cluster the --kubeconfig cluster is (default: the --context name, when a cluster has it)')
      .addOption(outputOption(['text'], 'text: notes, then one line per problem'))
      .addHelpText(
        'after',
        '\nExamples:\n  netfleet validate --repo examples/fleet\n  netfleet validate --repo . --crds crds/\n  netfleet validate --repo . --kubeconfig ~/.kube/config --context eu-fra-1\n\nExit codes: 0 valid, 1 problems found (all are listed, each once), 2 bad usage or unreachable cluster.',
      );
  },

  async run(options, _args, io) {
    const repository = await openFleetRepository(options, io);
    try {
      return await validate(repository.reader, options, io);
    } finally {
      await repository.close();
    }
  },
};

async function validate(reader: RepoReader, options: Record<string, unknown>, io: CliIO): Promise<number> {
  const { fleet, results, rendered, problems } = await validateRepository(reader);
  const notes: string[] = [];
  if (options.crds !== undefined) {
    const crds = await readCrdDir(String(options.crds));
    problems.push(...crds.problems, ...checkRenderedAgainstCrds(fleet, rendered, crds.schemas));
    const checked = [...rendered.values()].reduce((sum, result) => sum + result.objects.filter((o) => crds.schemas.has(`${o.object.apiVersion} ${o.object.kind}`)).length, 0);
    notes.push(`checked ${count(checked, 'object')} against ${count(crds.schemas.size, 'CRD version')}`);
  }
  if (options.kubeconfig !== undefined) {
    const cluster = clusterToDryRun(fleet, options);
    // Loaded only here: the Kubernetes client is most of the CLI's start time.
    const { dryRunCluster } = await import('../cluster-dry-run.js');
    const outcome = await dryRunCluster(fleet, rendered.get(cluster) as RenderResult, { kubeconfig: String(options.kubeconfig), context: options.context as string | undefined });
    problems.push(...outcome.problems);
    notes.push(`dry run of cluster ${cluster}: ${outcome.accepted} accepted, ${outcome.refused} refused, ${outcome.skipped.length} not judged`);
    for (const skipped of outcome.skipped) notes.push(`  not judged: ${skipped.object}: ${skipped.why}`);
  }
  const all = mergeAcrossClusters(problems);
  const objects = [...results.values()].reduce((sum, result) => sum + result.objects.length, 0);
  if (isDataFormat(options.output)) {
    io.stdout.write(formatData(options.output, { valid: all.length === 0, clusters: results.size, objects, notes, problems: all }));
    return all.length > 0 ? ExitCode.Findings : ExitCode.Ok;
  }
  for (const note of notes) io.stdout.write(`${note}\n`);
  if (all.length > 0) {
    printProblems(io, all);
    return ExitCode.Findings;
  }
  io.stdout.write(`valid: ${results.size} clusters, ${objects} objects\n`);
  return ExitCode.Ok;
}
