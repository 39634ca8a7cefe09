import type { RepoReader } from '../repo-reader.js';
import { ConfigError, ProblemCode, describeValue, oneOf, type ConfigProblem } from './errors.js';
import { buildInventory } from './inventory.js';
import { API_VERSION, KINDS, KIND_NAMES, isKindName, type KindName } from './kinds/index.js';
import { isMapping } from './merge.js';
import type { ClusterInfo, DocumentsByKind, Fleet, ManifestDocument, TypedDocument } from './model.js';
import { defaultLoadOptions, type LoadOptions } from './options.js';
import { readRepoFiles } from './repo-files.js';
import { buildRolloutPolicy } from './rollout.js';
import { checkSelector } from './selectors.js';
import { parseYamlFile, problemAt, type SourceDocument } from './source.js';
import { validateSchema } from './validate.js';
import { MANIFESTS_DIR, collectManifestSets, readManifest } from './manifests.js';
import { checkMeshGroup, meshGroupValue } from './mesh-groups.js';

/**
 * Reads and validates a whole fleet repository. Throws a ConfigError listing every problem
 * found (syntax, schema, references), never only the first.
 */
export async function loadFleet(reader: RepoReader, options: Partial<LoadOptions> = {}): Promise<Fleet> {
  const limits = defaultLoadOptions(options);
  const { files, problems } = await readRepoFiles(reader, limits);
  const documents = emptyDocuments();
  const manifestFiles = new Map<string, ManifestDocument[]>();
  for (const file of files) {
    const parsed = parseYamlFile(file.path, file.text, limits);
    problems.push(...parsed.problems);
    if (file.path.startsWith(MANIFESTS_DIR)) {
      manifestFiles.set(file.path, parsed.documents.flatMap((source) => readManifest(source, problems)));
      continue;
    }
    for (const source of parsed.documents) {
      const typed = readTypedDocument(source, problems);
      if (typed) (documents[typed.kind] as TypedDocument[]).push(typed);
    }
  }
  for (const kind of KIND_NAMES) {
    documents[kind].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    problems.push(...duplicateNames(documents[kind]));
  }
  const inventory = buildInventory(documents.Cluster);
  problems.push(...inventory.problems);
  const clusters = inventory.clusters;
  const regions = new Set([...clusters.values()].map((cluster) => cluster.region));

  for (const kind of KIND_NAMES) {
    for (const typed of documents[kind] as TypedDocument[]) problems.push(...checkTargets(typed, clusters, regions));
  }
  const meshGroups = documents.MeshGroup.map((group) => {
    problems.push(...checkMeshGroup(group, clusters));
    return meshGroupValue(group);
  });
  const manifests = collectManifestSets(documents.ManifestSet, manifestFiles, problems);
  const rolloutPolicies = documents.RolloutPolicy.map((typed) => {
    const built = buildRolloutPolicy(typed, clusters, regions);
    problems.push(...built.problems);
    return built.policy;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return { clusters, documents, manifests, meshGroups, rolloutPolicies };
}

function emptyDocuments(): DocumentsByKind {
  return Object.fromEntries(KIND_NAMES.map((kind) => [kind, []])) as unknown as DocumentsByKind;
}

function readTypedDocument(source: SourceDocument, problems: ConfigProblem[]): TypedDocument | undefined {
  const value = source.value;
  if (!isMapping(value)) {
    problems.push(problemAt(source, ProblemCode.NotAMapping, [], describeValue(value), `a mapping with apiVersion: ${API_VERSION}`));
    return undefined;
  }
  if (value.apiVersion !== API_VERSION) {
    problems.push(
      problemAt(source, value.apiVersion === undefined ? ProblemCode.MissingField : ProblemCode.UnknownApiVersion, ['apiVersion'], describeValue(value.apiVersion), `${JSON.stringify(API_VERSION)} (plain manifests belong under ${MANIFESTS_DIR})`),
    );
    return undefined;
  }
  if (!isKindName(value.kind)) {
    problems.push(problemAt(source, value.kind === undefined ? ProblemCode.MissingField : ProblemCode.UnknownKind, ['kind'], describeValue(value.kind), oneOf(KIND_NAMES)));
    return undefined;
  }
  const kind: KindName = value.kind;
  // A `${...}` reference is checked once substituted, per cluster, at render time.
  const violations = validateSchema(KINDS[kind].schema, value, (path) => holdsReference(valueAt(value, path)));
  for (const v of violations) problems.push(problemAt(source, v.code, v.path, v.found, v.expected));
  if (violations.length > 0) return undefined;
  const name = (value.metadata as { name: string }).name;
  return { kind, name, source, document: value } as TypedDocument;
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

function holdsReference(value: unknown): boolean {
  return typeof value === 'string' && /\$\{[^}]*\}/.test(value.replace(/\$\$\{/g, ''));
}

function duplicateNames(documents: TypedDocument[]): ConfigProblem[] {
  if (documents[0]?.kind === 'Cluster') return []; // the inventory reports its own duplicates
  const problems: ConfigProblem[] = [];
  for (let i = 1; i < documents.length; i += 1) {
    const previous = documents[i - 1]!;
    const current = documents[i]!;
    if (previous.name === current.name) {
      problems.push(problemAt(current.source, ProblemCode.DuplicateName, ['metadata', 'name'], JSON.stringify(current.name), `a name not already used by the ${current.kind} in ${previous.source.file}:${previous.source.locate(['metadata', 'name']).line}`));
    }
  }
  return problems;
}

function checkTargets(typed: TypedDocument, clusters: Map<string, ClusterInfo>, regions: Set<string>): ConfigProblem[] {
  const document = typed.document as { targets?: Parameters<typeof checkSelector>[0]; overrides?: { targets: Parameters<typeof checkSelector>[0] }[] };
  const violations = document.targets ? checkSelector(document.targets, ['targets'], clusters, regions) : [];
  document.overrides?.forEach((override, index) => violations.push(...checkSelector(override.targets, ['overrides', index, 'targets'], clusters, regions)));
  return violations.map((v) => problemAt(typed.source, v.code, v.path, v.found, v.expected));
}
