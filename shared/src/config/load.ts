import { Value } from '@sinclair/typebox/value';
import type { RepoReader } from '../repo-reader.js';
import { ConfigError, ProblemCode, describeValue, oneOf, type ConfigProblem } from './errors.js';
import { buildInventory } from './inventory.js';
import { API_VERSION, ClusterSelector, KINDS, KIND_NAMES, SUBSTITUTED_KINDS, isKindName, type KindName } from './kinds/index.js';
import { deepMerge, isMapping } from './merge.js';
import type { DocumentsByKind, Fleet, ManifestDocument, TypedDocument } from './model.js';
import { defaultLoadOptions, type LoadOptions } from './options.js';
import { readRepoFiles } from './repo-files.js';
import { buildRolloutPolicy } from './rollout.js';
import { checkSelector, checkSelectsSome, selects, type Selectable } from './selectors.js';
import { parseYamlFile, problemAt, type FieldPath, type SourceDocument } from './source.js';
import { validateSchema, type SchemaViolation } from './validate.js';
import { MANIFESTS_DIR, collectManifestSets, readManifest } from './manifests.js';
import { checkMeshGroup, meshGroupValue } from './mesh-groups.js';

/** A repository read as far as it is valid, with every problem found in it. */
export interface FleetCheck {
  /** Only the valid documents; an invalid Cluster is not in the inventory. */
  fleet: Fleet;
  problems: ConfigProblem[];
}

/** A netfleet document that failed its schema: what is still known of it, so references to it are not reported too. */
interface InvalidDocument {
  kind: KindName;
  source: SourceDocument;
  value: Record<string, unknown>;
}

/**
 * Reads and validates a whole fleet repository. Throws a ConfigError listing every problem
 * found (syntax, schema, references), never only the first.
 */
export async function loadFleet(reader: RepoReader, options: Partial<LoadOptions> = {}): Promise<Fleet> {
  const { fleet, problems } = await checkFleet(reader, options);
  if (problems.length > 0) throw new ConfigError(problems);
  return fleet;
}

/**
 * Reads a fleet repository and runs every check, also on what an invalid document still
 * says (its name, its selectors), so one mistake neither hides nor causes others.
 */
export async function checkFleet(reader: RepoReader, options: Partial<LoadOptions> = {}): Promise<FleetCheck> {
  const limits = defaultLoadOptions(options);
  const { files, problems } = await readRepoFiles(reader, limits);
  const documents = emptyDocuments();
  const invalid: InvalidDocument[] = [];
  const manifestFiles = new Map<string, ManifestDocument[]>();
  for (const file of files) {
    const parsed = parseYamlFile(file.path, file.text, limits);
    problems.push(...parsed.problems);
    if (file.path.startsWith(MANIFESTS_DIR)) {
      manifestFiles.set(file.path, parsed.documents.flatMap((source) => readManifest(source, problems)));
      continue;
    }
    for (const source of parsed.documents) {
      const read = readTypedDocument(source, problems);
      if (read && 'typed' in read) (documents[read.typed.kind] as TypedDocument[]).push(read.typed);
      else if (read) invalid.push(read.invalid);
    }
  }
  for (const kind of KIND_NAMES) {
    documents[kind].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const duplicates = duplicateNames(documents[kind]);
    problems.push(...duplicates.map((d) => d.problem));
    // The first of a name is kept; a repeat would only render the same objects again.
    (documents as Record<KindName, TypedDocument[]>)[kind] = documents[kind].filter((typed) => !duplicates.some((d) => d.typed === typed));
  }
  const inventory = buildInventory(documents.Cluster);
  problems.push(...inventory.problems);
  const clusters = inventory.clusters;
  const known = knownClusters(clusters.values(), invalid);
  const regions = new Set([...known.values()].map((cluster) => cluster.region).filter((region) => region !== ''));

  for (const kind of KIND_NAMES) {
    for (const typed of documents[kind] as TypedDocument[]) problems.push(...checkTargets(typed.source, typed.document, known, regions));
  }
  for (const { source, value } of invalid) problems.push(...checkTargets(source, value, known, regions, true));
  const meshGroups = documents.MeshGroup.map((group) => {
    problems.push(...checkMeshGroup(group, clusters, known));
    return meshGroupValue(group);
  });
  const claimedByInvalid = invalid.flatMap(({ kind, value }) => (kind === 'ManifestSet' && isMapping(value.spec) && typeof value.spec.path === 'string' ? [value.spec.path] : []));
  const manifests = collectManifestSets(documents.ManifestSet, manifestFiles, problems, claimedByInvalid);
  const rolloutPolicies = documents.RolloutPolicy.map((typed) => {
    const built = buildRolloutPolicy(typed, known, regions);
    problems.push(...built.problems);
    return built.policy;
  });
  return { fleet: { clusters, documents, manifests, meshGroups, rolloutPolicies }, problems };
}

function emptyDocuments(): DocumentsByKind {
  return Object.fromEntries(KIND_NAMES.map((kind) => [kind, []])) as unknown as DocumentsByKind;
}

/** The valid clusters, plus what the invalid Cluster documents still say (name, region, labels). */
function knownClusters(valid: Iterable<Selectable>, invalid: InvalidDocument[]): Map<string, Selectable> {
  const known = new Map<string, Selectable>();
  for (const cluster of valid) known.set(cluster.name, cluster);
  for (const { kind, value } of invalid) {
    if (kind !== 'Cluster' || !isMapping(value.metadata) || typeof value.metadata.name !== 'string' || known.has(value.metadata.name)) continue;
    const region = isMapping(value.spec) && typeof value.spec.region === 'string' ? value.spec.region : '';
    const labels = isMapping(value.metadata.labels) ? Object.fromEntries(Object.entries(value.metadata.labels).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {};
    known.set(value.metadata.name, { name: value.metadata.name, region, labels });
  }
  return known;
}

function readTypedDocument(source: SourceDocument, problems: ConfigProblem[]): { typed: TypedDocument } | { invalid: InvalidDocument } | undefined {
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
  const misplaced = misplacedReferences(kind, value);
  // A `${...}` reference in a spec field is checked once substituted, per cluster, at render time.
  const violations = [...misplaced, ...validateSchema(KINDS[kind].schema, value, (path) => holdsReference(valueAt(value, path)))];
  if (violations.length === 0) violations.push(...checkOverrides(kind, value));
  for (const v of violations) problems.push(problemAt(source, v.code, v.path, v.found, v.expected));
  if (violations.length > 0) return { invalid: { kind, source, value } };
  const name = (value.metadata as { name: string }).name;
  return { typed: { kind, name, source, document: value } as TypedDocument };
}

function valueAt(value: unknown, path: FieldPath): unknown {
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

/**
 * `${...}` is substituted per cluster, so only in the spec (and override specs) of the kinds
 * rendered per cluster. Anywhere else it would stay a literal string (a region named
 * `${vars.reg}`, `true` written as text into a boolean) or break the hub, so it is refused.
 */
function misplacedReferences(kind: KindName, document: Record<string, unknown>): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  const substituted = SUBSTITUTED_KINDS.has(kind);
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (holdsReference(node)) {
      const inSpec = path[0] === 'spec' || (path[0] === 'overrides' && path[2] === 'spec');
      if (substituted && inSpec) return;
      const where = substituted ? `only spec fields of ${kind} documents are substituted per cluster` : `${kind} documents apply to the whole fleet and are never substituted`;
      violations.push({ code: ProblemCode.VariableNotAllowed, path, found: describeValue(node), expected: `a literal value: ${where} (write $\${ for a literal "\${")` });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...path, index]));
    } else if (isMapping(node)) {
      for (const [key, item] of Object.entries(node)) visit(item, [...path, key]);
    }
  };
  visit(document, []);
  return violations;
}

/**
 * Each override merged over the spec must still be a valid spec, checked here once, so a
 * typo in an override is reported even when no cluster it selects is rendered.
 */
function checkOverrides(kind: KindName, document: Record<string, unknown>): SchemaViolation[] {
  const overrides = (document as { overrides?: { spec?: Record<string, unknown> }[] }).overrides ?? [];
  return overrides.flatMap((override, index) => {
    if (!override.spec) return [];
    const merged = deepMerge(document.spec, override.spec);
    return validateSchema(KINDS[kind].spec, merged, (path) => holdsReference(valueAt(merged, path))).map((v) => ({
      ...v,
      // Blamed on the override when it sets the top-level field the mistake is in.
      path: v.path.length === 0 || valueAt(override.spec, v.path.slice(0, 1)) !== undefined ? ['overrides', index, 'spec', ...v.path] : ['spec', ...v.path],
    }));
  });
}

function duplicateNames(documents: TypedDocument[]): { typed: TypedDocument; problem: ConfigProblem }[] {
  if (documents[0]?.kind === 'Cluster') return []; // the inventory reports its own duplicates
  const duplicates: { typed: TypedDocument; problem: ConfigProblem }[] = [];
  for (let i = 1; i < documents.length; i += 1) {
    const previous = documents[i - 1]!;
    const current = documents[i]!;
    if (previous.name === current.name) {
      duplicates.push({
        typed: current,
        problem: problemAt(current.source, ProblemCode.DuplicateName, ['metadata', 'name'], JSON.stringify(current.name), `a name not already used by the ${current.kind} in ${previous.source.file}:${previous.source.locate(['metadata', 'name']).line}`),
      });
    }
  }
  return duplicates;
}

/**
 * The document's selectors name known clusters and regions, and each selects something:
 * `targets` some cluster, each override some cluster the document targets. Selectors an
 * invalid document wrote correctly are checked too, and so are the wave selectors of an
 * invalid RolloutPolicy (a valid one is checked when it is built).
 */
function checkTargets(source: SourceDocument, document: Record<string, unknown>, known: Map<string, Selectable>, regions: Set<string>, invalid = false): ConfigProblem[] {
  const violations: SchemaViolation[] = [];
  const check = (selector: unknown, at: FieldPath, candidates: Selectable[], scope: string): Selectable[] | undefined => {
    if (!Value.Check(ClusterSelector, selector)) return undefined;
    const found = checkSelector(selector, at, known, regions);
    violations.push(...found);
    // With no candidates the enclosing selector already reported it.
    if (found.length === 0 && candidates.length > 0) violations.push(...checkSelectsSome(selector, at, candidates, scope));
    return candidates.filter((cluster) => selects(selector, cluster));
  };
  const all = [...known.values()];
  const targeted = 'targets' in document ? check(document.targets, ['targets'], all, theClusters(all.length, '')) : all;
  const overrides = Array.isArray(document.overrides) ? document.overrides : [];
  overrides.forEach((override: unknown, index) => {
    if (!isMapping(override)) return;
    const candidates = targeted ?? all;
    check(override.targets, ['overrides', index, 'targets'], candidates, theClusters(candidates.length, ' the document targets'));
  });
  const waves = invalid && document.kind === 'RolloutPolicy' && isMapping(document.spec) && Array.isArray(document.spec.waves) ? document.spec.waves : [];
  waves.forEach((wave: unknown, index) => {
    if (isMapping(wave)) check(wave.selector, ['spec', 'waves', index, 'selector'], all, theClusters(all.length, ''));
  });
  return violations.map((v) => problemAt(source, v.code, v.path, v.found, v.expected));
}

function theClusters(count: number, which: string): string {
  return count === 1 ? `the 1 cluster${which}` : `the ${count} clusters${which}`;
}
