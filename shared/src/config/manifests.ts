import { ProblemCode, describeValue, type ConfigProblem } from './errors.js';
import { API_VERSION } from './kinds/index.js';
import { isMapping } from './merge.js';
import type { ManifestDocument, TypedDocument } from './model.js';
import { problemAt, type SourceDocument } from './source.js';

/** Plain Kubernetes manifests live below this folder; everything else is netfleet documents. */
export const MANIFESTS_DIR = 'manifests/';

const API_GROUP = API_VERSION.split('/')[0];

function describeKind(kind: unknown): string {
  return typeof kind === 'string' ? kind : 'kind-less';
}

/** One manifest document: a Kubernetes object with at least apiVersion, kind and metadata.name. */
export function readManifest(source: SourceDocument, problems: ConfigProblem[]): ManifestDocument[] {
  const object = source.value;
  if (!isMapping(object)) {
    problems.push(problemAt(source, ProblemCode.NotAMapping, [], describeValue(object), 'a Kubernetes object (a mapping with apiVersion, kind, metadata.name)'));
    return [];
  }
  if (typeof object.apiVersion === 'string' && object.apiVersion.split('/')[0] === API_GROUP) {
    // Rendered as a plain object it would reach every cluster as an unknown kind, and configure nothing.
    problems.push(problemAt(source, ProblemCode.InvalidManifest, ['apiVersion'], `a netfleet ${describeKind(object.kind)} document`, `a plain Kubernetes object here; netfleet documents belong outside ${MANIFESTS_DIR} (move it to another folder)`));
    return [];
  }
  const metadata = object.metadata;
  const checks: [path: string[], value: unknown][] = [
    [['apiVersion'], object.apiVersion],
    [['kind'], object.kind],
    [['metadata', 'name'], isMapping(metadata) ? metadata.name : undefined],
  ];
  let valid = true;
  for (const [path, value] of checks) {
    if (typeof value !== 'string' || value === '') {
      problems.push(problemAt(source, ProblemCode.InvalidManifest, path, describeValue(value), 'a non-empty string'));
      valid = false;
    }
  }
  if (isMapping(metadata) && metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    problems.push(problemAt(source, ProblemCode.InvalidManifest, ['metadata', 'namespace'], describeValue(metadata.namespace), 'a string'));
    valid = false;
  }
  if (!valid || !isMapping(metadata)) return [];
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return [{ source, object, label: `${String(object.kind)}/${namespace}${String(metadata.name)}` }];
}

/** Assigns manifest files to the ManifestSets whose folder holds them; a file no set claims is an error. */
export function collectManifestSets(
  sets: TypedDocument<'ManifestSet'>[],
  files: Map<string, ManifestDocument[]>,
  problems: ConfigProblem[],
  /** Folders of ManifestSet documents that are invalid: their files are not reported as unreferenced too. */
  claimedFolders: string[] = [],
): Map<string, ManifestDocument[]> {
  const claimed = new Set<string>([...files.keys()].filter((path) => claimedFolders.some((folder) => path.startsWith(`${folder}/`))));
  const result = new Map<string, ManifestDocument[]>();
  for (const { source, document } of sets) {
    const folder = `${document.spec.path}/`;
    const paths = [...files.keys()].filter((path) => path.startsWith(folder));
    if (paths.length === 0) {
      problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'path'], JSON.stringify(document.spec.path), 'a folder that holds at least one .yaml manifest'));
    }
    paths.forEach((path) => claimed.add(path));
    result.set(document.metadata.name, paths.flatMap((path) => files.get(path) ?? []));
  }
  for (const path of files.keys()) {
    if (!claimed.has(path)) {
      problems.push({ code: ProblemCode.UnreferencedManifest, file: path, line: 1, column: 1, path: '', found: 'a manifest file no ManifestSet includes', expected: 'a ManifestSet whose spec.path contains this file' });
    }
  }
  return result;
}
