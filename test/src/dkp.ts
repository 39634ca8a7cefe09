/**
 * Access to the DKP reference files beside the repository (`../shared/dkp`): the
 * CustomResourceDefinitions DKP installs and the module-settings schemas its ModuleConfig
 * webhook checks. The files are read in place (never copied) and parsed once per process.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { NetfleetError } from '@netfleet/shared';
import { dkpResourceDefinitions } from '@netfleet/shared/dkp/crds';

/** A JSON value as parsed from YAML. */
export type JsonObject = Record<string, unknown>;

/**
 * The `x-` extension keys kube-apiserver declares in JSONSchemaProps. Every other `x-` key
 * (`x-doc-*`, `x-examples`, `x-kubernetes-immutable`, ...) makes a real server reject the CRD,
 * so DKP strips them before installing, and so do we.
 */
export const STANDARD_SCHEMA_EXTENSIONS: ReadonlySet<string> = new Set([
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/**
 * CRD files a real kube-apiserver (v1.28.7) refuses even after stripping, with the reason
 * (see "Installing these CRDs into an API server" in the DKP README). Neither is a kind
 * netfleet renders.
 */
export const DKP_CRDS_REJECTED_BY_KUBE_APISERVER: Readonly<Record<string, string>> = {
  'metallb/internal/l2lbservices.yaml':
    'the conditions x-kubernetes-list-map-keys name a property the items lack (a description scalar swallows `properties`)',
  'cni-cilium/cilium/ciliumenvoyconfigs.yaml':
    'multi-line description scalars parse into undeclared schema keys and arrays without items',
};

/** One CRD file: its path relative to `crds/`, its CRDs with non-standard `x-` keys removed. */
export interface DkpCrdFile {
  file: string;
  crds: JsonObject[];
  /**
   * YAML syntax errors (only the files kube-apiserver rejects have any: multi-line flow
   * scalars indented no deeper than their key); their documents are read leniently.
   */
  yamlErrors: string[];
}

/** The settings schema of one DKP module (`module-config/<module>.yaml`). */
export interface ModuleSettingsSchema {
  module: string;
  file: string;
  /** `x-config-version` of the file; 1 when absent. `spec.version` must be at most this. */
  configVersion: number;
  /** The OpenAPI schema of `ModuleConfig.spec.settings`, non-standard `x-` keys removed. */
  schema: JsonObject;
}

const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties', 'definitions', 'dependencies'];
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'];
const SCHEMA_SINGLE_KEYWORDS = ['items', 'additionalProperties', 'additionalItems', 'not'];

/** The DKP reference directory: `$NETFLEET_DKP_DIR`, else `../shared/dkp` from the repo root. */
export function dkpDir(): string {
  const override = process.env.NETFLEET_DKP_DIR;
  if (override) return resolve(override);
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return resolve(repoRoot, '..', 'shared', 'dkp');
}

/**
 * Whether the DKP reference files are beside the repository. A clone has none: the API test
 * server then serves netfleet's own definitions of the DKP kinds (`@netfleet/shared/dkp`),
 * and tests that check against the real DKP schemas are skipped (see {@link DKP_REFERENCE_SKIP}).
 */
export function dkpReferencePresent(): boolean {
  return existsSync(join(dkpDir(), 'crds')) && existsSync(join(dkpDir(), 'module-config'));
}

/** Why tests that need the real DKP schemas are skipped, for their titles; empty when the files are present. */
export const DKP_REFERENCE_SKIP = dkpReferencePresent()
  ? ''
  : ` (skipped: no DKP reference files at ${dkpDir()}; place them there or set NETFLEET_DKP_DIR to run these)`;

/**
 * The CRDs an API test server installs for the DKP kinds: the real ones when the reference
 * files are present, else netfleet's own definitions; `filter` takes paths under `crds/`.
 */
export function dkpCrdsToInstall(filter: (file: string) => boolean = () => true): { file: string; crd: JsonObject }[] {
  if (!dkpReferencePresent()) return dkpResourceDefinitions().filter(({ file }) => filter(file));
  return installableDkpCrdFiles().filter(filter).flatMap((file) => loadDkpCrdFile(file).crds.map((crd) => ({ file, crd })));
}

/** The module settings schemas DKP's ModuleConfig webhook checks; none without the reference files. */
export function moduleSettingsSchemasIfPresent(): Map<string, ModuleSettingsSchema> {
  return dkpReferencePresent() ? loadModuleSettingsSchemas() : new Map();
}

/**
 * Removes every `x-` key that is not a standard Kubernetes extension from an OpenAPI schema,
 * walking only schema positions (property names and `default`/`enum` values are data and
 * stay as they are). Returns a new object.
 */
export function stripNonStandardExtensions(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-') && !STANDARD_SCHEMA_EXTENSIONS.has(key)) continue;
    if (SCHEMA_MAP_KEYWORDS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, stripNonStandardExtensions(sub)]));
    } else if (SCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
      out[key] = value.map(stripNonStandardExtensions);
    } else if (SCHEMA_SINGLE_KEYWORDS.includes(key)) {
      out[key] = Array.isArray(value) ? value.map(stripNonStandardExtensions) : stripNonStandardExtensions(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** A CRD with the schemas of all its versions stripped as DKP does before installing it. */
export function stripCrd(crd: JsonObject): JsonObject {
  const copy = structuredClone(crd);
  const spec = isObject(copy.spec) ? copy.spec : {};
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const version of versions) {
    if (isObject(version) && isObject(version.schema) && version.schema.openAPIV3Schema !== undefined) {
      version.schema.openAPIV3Schema = stripNonStandardExtensions(version.schema.openAPIV3Schema);
    }
  }
  return copy;
}

/** Every CRD file under `crds/`, as paths relative to it (posix separators), sorted. */
export function listDkpCrdFiles(): string[] {
  const root = join(dkpDir(), 'crds');
  return walkYamlFiles(root).map((file) => relative(root, file).split(sep).join('/')).sort();
}

const crdFileCache = new Map<string, DkpCrdFile>();

/**
 * Reads one CRD file (relative to `crds/`); parsed once per process, treat as read-only.
 * js-yaml is used for speed (the Cilium and Istio files are ~340 KB each); the two files
 * kube-apiserver rejects are read with the `yaml` parser, which reports their syntax errors
 * and yields what kube-apiserver refused (undeclared schema keys, items without properties).
 */
export function loadDkpCrdFile(file: string): DkpCrdFile {
  const path = join(dkpDir(), 'crds', file);
  const cached = crdFileCache.get(path);
  if (cached) return cached;
  const text = readText(path);
  const yamlErrors: string[] = [];
  let documents: unknown[];
  if (file in DKP_CRDS_REJECTED_BY_KUBE_APISERVER) {
    const parsed = parseAllDocuments(text);
    for (const document of parsed) yamlErrors.push(...document.errors.map((error) => `${file}: ${error.message.split('\n')[0]}`));
    documents = parsed.map((document) => document.toJS() as unknown);
  } else {
    try {
      documents = loadAll(text);
    } catch (cause) {
      throw new NetfleetError('KUBE_DKP_SCHEMA_INVALID', `${file}: not valid YAML: ${(cause as Error).message.split('\n')[0]}`, {
        hint: 'refresh the DKP reference files; they must be byte-for-byte upstream copies',
        cause,
      });
    }
  }
  const crds = documents.filter((value): value is JsonObject => isObject(value) && value.kind === 'CustomResourceDefinition').map(stripCrd);
  const loaded = { file, crds, yamlErrors };
  crdFileCache.set(path, loaded);
  return loaded;
}

/** The link CRD files whose newer versions add `status.conditions` (the reference README says so; its files predate it). */
export const DKP_LINK_CRD_FILES = ['istio/istiofederation.yaml', 'istio/istiomulticluster.yaml'] as const;

/**
 * A link CRD (IstioFederation or IstioMulticluster) as newer DKP versions serve it: the
 * reference file with `status.conditions[]` in every version's status schema, so the API
 * server keeps the conditions newer discovery hooks write instead of pruning them.
 */
export function dkpLinkCrdWithConditions(file: (typeof DKP_LINK_CRD_FILES)[number]): JsonObject {
  const crd = structuredClone(dkpCrdsToInstall((candidate) => candidate === file)[0]!.crd);
  const text = { type: 'string' };
  const conditions = {
    type: 'array',
    items: { type: 'object', properties: { type: text, status: text, reason: text, message: text, lastTransitionTime: text, lastProbeTime: text } },
  };
  for (const version of (crd.spec as { versions: { schema: { openAPIV3Schema: { properties: { status: { properties: JsonObject } } } } }[] }).versions) {
    version.schema.openAPIV3Schema.properties.status.properties.conditions = conditions;
  }
  return crd;
}

/** The CRD files a real kube-apiserver accepts after stripping (all but the known two). */
export function installableDkpCrdFiles(): string[] {
  return listDkpCrdFiles().filter((file) => !(file in DKP_CRDS_REJECTED_BY_KUBE_APISERVER));
}

let settingsCache: Map<string, ModuleSettingsSchema> | undefined;

/** Every module's settings schema from `module-config/*.yaml`, keyed by module name. */
export function loadModuleSettingsSchemas(): Map<string, ModuleSettingsSchema> {
  if (settingsCache) return settingsCache;
  const root = join(dkpDir(), 'module-config');
  const schemas = new Map<string, ModuleSettingsSchema>();
  for (const entry of readdirSync(root).sort()) {
    if (!entry.endsWith('.yaml')) continue;
    const path = join(root, entry);
    const file = `module-config/${entry}`;
    let value: unknown;
    try {
      value = loadAll(readText(path))[0];
    } catch {
      value = undefined;
    }
    if (!isObject(value)) {
      throw new NetfleetError('KUBE_DKP_SCHEMA_INVALID', `${file}: not a YAML OpenAPI schema`, {
        hint: 'refresh the DKP reference files; they must be byte-for-byte upstream copies',
      });
    }
    const version = value['x-config-version'];
    const module = entry.slice(0, -'.yaml'.length);
    schemas.set(module, {
      module,
      file,
      configVersion: typeof version === 'number' ? version : 1,
      schema: stripNonStandardExtensions(value) as JsonObject,
    });
  }
  settingsCache = schemas;
  return schemas;
}

function walkYamlFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (cause) {
    throw missingDir(dir, cause);
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return walkYamlFiles(path);
    return entry.endsWith('.yaml') || entry.endsWith('.yml') ? [path] : [];
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw missingDir(path, cause);
  }
}

function missingDir(path: string, cause: unknown): NetfleetError {
  return new NetfleetError('KUBE_DKP_FILES_MISSING', `cannot read DKP reference files at ${path}`, {
    hint: 'place the DKP reference folder at ../shared/dkp beside the repository or set NETFLEET_DKP_DIR',
    cause,
  });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
