import { NetfleetError } from '../errors.js';

/**
 * Every way a fleet repository can be wrong. One code per kind of mistake, so tools and
 * tests can tell them apart; the message of each problem says the rest.
 */
export enum ProblemCode {
  YamlSyntax = 'CONFIG_YAML_SYNTAX',
  YamlAliasLimit = 'CONFIG_YAML_ALIAS_LIMIT',
  FileTooLarge = 'CONFIG_FILE_TOO_LARGE',
  NotUtf8 = 'CONFIG_NOT_UTF8',
  SymlinkOutside = 'CONFIG_SYMLINK_OUTSIDE',
  SymlinkBroken = 'CONFIG_SYMLINK_BROKEN',
  NotAMapping = 'CONFIG_NOT_A_MAPPING',
  UnknownApiVersion = 'CONFIG_UNKNOWN_API_VERSION',
  UnknownKind = 'CONFIG_UNKNOWN_KIND',
  WrongType = 'CONFIG_WRONG_TYPE',
  UnknownField = 'CONFIG_UNKNOWN_FIELD',
  MissingField = 'CONFIG_MISSING_FIELD',
  InvalidValue = 'CONFIG_INVALID_VALUE',
  DuplicateName = 'CONFIG_DUPLICATE_NAME',
  DuplicateDomain = 'CONFIG_DUPLICATE_DOMAIN',
  BadSelector = 'CONFIG_BAD_SELECTOR',
  SelectsNothing = 'CONFIG_SELECTS_NOTHING',
  EmptyWave = 'CONFIG_EMPTY_WAVE',
  VariableNotAllowed = 'CONFIG_VARIABLE_NOT_ALLOWED',
  UnknownCluster = 'CONFIG_UNKNOWN_CLUSTER',
  UnknownRegion = 'CONFIG_UNKNOWN_REGION',
  UnknownVariable = 'CONFIG_UNKNOWN_VARIABLE',
  MeshDomain = 'CONFIG_MESH_CLUSTER_DOMAIN',
  InvalidManifest = 'CONFIG_INVALID_MANIFEST',
  ManifestSchema = 'CONFIG_MANIFEST_SCHEMA',
  ClusterRejected = 'CLUSTER_DRY_RUN_REJECTED',
  UnreferencedManifest = 'CONFIG_UNREFERENCED_MANIFEST',
  SettingsConflict = 'RENDER_SETTINGS_CONFLICT',
  DuplicateObject = 'RENDER_DUPLICATE_OBJECT',
}

/** One thing wrong in the repository, located precisely enough to fix without searching. */
export interface ConfigProblem {
  code: ProblemCode;
  /** Repository-relative path of the file. */
  file: string;
  /** 1-based line and column of the offending node (the document start when unknown). */
  line: number;
  column: number;
  /** Dotted field path inside the document (`spec.targets.regions[0]`); '' for the whole document. */
  path: string;
  /** What the file holds there, described briefly (never a long or secret value). */
  found: string;
  /** What would have been accepted. */
  expected: string;
  /** The clusters being rendered, for problems that only show up when rendering them. */
  clusters?: string[];
}

const MAX_CLUSTERS_SHOWN = 5;

/** `file:line:column CODE [clusters] path: found …, expected …` — one line per problem; no path for the whole file or document. */
export function formatProblem(problem: ConfigProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  const field = problem.path === '' ? '' : ` ${problem.path}`;
  return `${where} ${problem.code}${clusterList(problem.clusters)}${field}: found ${problem.found}, expected ${problem.expected}`;
}

function clusterList(clusters: string[] | undefined): string {
  if (clusters === undefined || clusters.length === 0) return '';
  if (clusters.length === 1) return ` [cluster ${clusters[0]}]`;
  const shown = clusters.slice(0, MAX_CLUSTERS_SHOWN).join(', ');
  const more = clusters.length > MAX_CLUSTERS_SHOWN ? ` and ${clusters.length - MAX_CLUSTERS_SHOWN} more` : '';
  return ` [${clusters.length} clusters: ${shown}${more}]`;
}

/**
 * One problem once: the same mistake found while rendering several clusters becomes one
 * problem naming them all, in the order the clusters were rendered.
 */
export function mergeAcrossClusters(problems: ConfigProblem[]): ConfigProblem[] {
  const byKey = new Map<string, ConfigProblem>();
  for (const problem of problems) {
    const key = JSON.stringify([problem.file, problem.line, problem.column, problem.code, problem.path, problem.found, problem.expected]);
    const existing = byKey.get(key);
    if (!existing) byKey.set(key, { ...problem, clusters: problem.clusters && [...problem.clusters] });
    else if (existing.clusters && problem.clusters) existing.clusters.push(...problem.clusters.filter((c) => !existing.clusters!.includes(c)));
  }
  return [...byKey.values()];
}

/** Problems in a stable order: by file, position, then code. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) =>
      compare(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      compare(a.code, b.code) ||
      compare(a.path, b.path) ||
      compare((a.clusters ?? []).join(), (b.clusters ?? []).join()),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fleet repository is invalid; `problems` lists every problem found, not only the first. */
export class ConfigError extends NetfleetError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const sorted = sortProblems(mergeAcrossClusters(problems));
    const count = sorted.length === 1 ? '1 problem' : `${sorted.length} problems`;
    super('CONFIG_INVALID', `${count} in the fleet repository:\n${sorted.map((p) => `  ${formatProblem(p)}`).join('\n')}`, {
      hint: 'fix the fields listed above; `netfleet validate --repo DIR` checks the whole repository',
    });
    this.problems = sorted;
  }
}

/** Asked to render a cluster the inventory does not have. */
export class UnknownClusterError extends NetfleetError {
  constructor(cluster: string, known: string[]) {
    super('RENDER_UNKNOWN_CLUSTER', `cluster ${JSON.stringify(cluster)} is not in the inventory`, {
      hint: `known clusters: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''}`,
    });
  }
}

const MAX_SHOWN = 40;

/** A short, safe description of a YAML value for the `found` part of a problem. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

/** `a, b or c` for the `expected` part of a problem. */
export function oneOf(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  if (shown.length <= 1) return shown.join('');
  return `one of ${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1]}`;
}
