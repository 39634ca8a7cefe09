import type { Ajv, ValidateFunction } from 'ajv';
import { createAjv } from './ajv.js';
import { ProblemCode, type ConfigProblem } from './errors.js';
import { isMapping } from './merge.js';
import { parseYamlFile, problemAt, type SourceDocument } from './source.js';
import { explain, type SchemaViolation } from './validate.js';
import { defaultLoadOptions } from './options.js';
import type { KubeObject } from '../objects.js';

/** The schema of one served CRD version, ready to check objects with. */
export interface CrdSchema {
  /** `ingressnginxcontrollers.deckhouse.io` */
  crd: string;
  version: string;
  /** The version's schema as JSON Schema, compiled on first use (a CRD export holds many kinds no object uses). */
  schema: Record<string, unknown>;
  /** Where the schema is written, for a problem when it cannot be compiled. */
  at: { source: SourceDocument; path: (string | number)[] };
}

/** CRD schemas by `apiVersion kind` (`deckhouse.io/v1 IngressNginxController`). */
export type CrdSchemas = Map<string, CrdSchema>;

const compiled = new WeakMap<CrdSchema, ValidateFunction | ConfigProblem>();

function validatorOf(crd: CrdSchema): ValidateFunction | ConfigProblem {
  let validate = compiled.get(crd);
  if (!validate) {
    try {
      validate = crdAjv().compile(crd.schema);
    } catch (error) {
      validate = problemAt(crd.at.source, ProblemCode.ManifestSchema, crd.at.path, `a schema that cannot be compiled (${(error as Error).message})`, 'a structural OpenAPI v3 schema');
    }
    compiled.set(crd, validate);
  }
  return validate;
}

/** The CRD schemas that were needed but could not be compiled, as problems in the CRD files. */
export function uncompilableCrds(schemas: CrdSchemas): ConfigProblem[] {
  return [...schemas.values()].flatMap((crd) => {
    const validate = compiled.get(crd);
    return validate !== undefined && typeof validate !== 'function' ? [validate] : [];
  });
}

// Kubernetes patterns are RE2, not always valid in unicode mode; formats (int32, byte, …) are
// not checked by kube-apiserver's structural validation either, beyond a few.
let ajv: Ajv | undefined;
const crdAjv = (): Ajv => (ajv ??= createAjv({ strict: false, allErrors: true, verbose: true, validateFormats: false, allowUnionTypes: true, unicodeRegExp: false }));

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', 'dependencies']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SCHEMA_SINGLES = new Set(['items', 'additionalProperties', 'additionalItems', 'not']);
/** Keys that describe rather than constrain; `x-` keys other than kube-apiserver's own are documentation (DKP's `x-doc-*`). */
const IGNORED = new Set(['description', 'example', 'externalDocs', 'default', 'format', 'nullable', 'title']);

/**
 * An OpenAPI v3 structural schema as kube-apiserver applies it, turned into JSON Schema:
 * undeclared fields are refused (as with `fieldValidation=Strict`) unless
 * `x-kubernetes-preserve-unknown-fields`; `x-kubernetes-int-or-string` and `nullable` widen
 * the type; an embedded resource keeps apiVersion, kind and metadata. `x-kubernetes-validations`
 * (CEL) is not evaluated here: `--kubeconfig` asks a real API server for that.
 * Inside allOf/anyOf/oneOf/not a branch only constrains values, so it declares no fields.
 */
function toJsonSchema(node: unknown, inBranch = false): unknown {
  if (!isMapping(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || IGNORED.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isMapping(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, toJsonSchema(child, inBranch)]));
    else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((child) => toJsonSchema(child, true));
    else if (SCHEMA_SINGLES.has(key)) out[key] = toJsonSchema(value, inBranch || key === 'not');
    else out[key] = value;
  }
  if (node['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  if (node.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  }
  if (node['x-kubernetes-embedded-resource'] === true) {
    out.properties = { ...(isMapping(out.properties) ? out.properties : {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };
  }
  const declaresFields = out.type === 'object' || isMapping(out.properties);
  if (!inBranch && declaresFields && out.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  return out;
}

/** The whole object's schema: the CRD's, with apiVersion, kind and metadata as kube-apiserver has them. */
function objectSchema(openApi: Record<string, unknown>): Record<string, unknown> {
  const converted = toJsonSchema(openApi) as Record<string, unknown>;
  const properties = isMapping(converted.properties) ? converted.properties : {};
  return { ...converted, properties: { ...properties, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } } };
}

/** The CRDs of one file: plain CustomResourceDefinition documents or a `kubectl get crd -o yaml` List. */
function crdsOf(source: SourceDocument): { crd: Record<string, unknown>; path: (string | number)[] }[] {
  const value = source.value;
  if (!isMapping(value)) return [];
  if (value.kind === 'CustomResourceDefinition') return [{ crd: value, path: [] }];
  if (value.kind === 'List' && Array.isArray(value.items)) {
    return value.items.flatMap((item, index) => (isMapping(item) && item.kind === 'CustomResourceDefinition' ? [{ crd: item, path: ['items', index] }] : []));
  }
  return [];
}

/**
 * Reads CRDs (YAML or JSON files, as `kubectl get crd -o yaml` writes them): the schema of
 * every served version. Files that hold no CRD are skipped.
 */
export function readCrdSchemas(files: { path: string; text: string }[]): { schemas: CrdSchemas; problems: ConfigProblem[] } {
  const schemas: CrdSchemas = new Map();
  const problems: ConfigProblem[] = [];
  const limits = defaultLoadOptions();
  for (const file of files) {
    const parsed = parseYamlFile(file.path, file.text, limits);
    problems.push(...parsed.problems);
    for (const source of parsed.documents) {
      for (const { crd, path } of crdsOf(source)) {
        const spec = isMapping(crd.spec) ? crd.spec : {};
        const names = isMapping(spec.names) ? spec.names : {};
        const name = isMapping(crd.metadata) ? String(crd.metadata.name) : String(names.plural);
        const versions = Array.isArray(spec.versions) ? spec.versions : [];
        versions.forEach((version: unknown, index) => {
          if (!isMapping(version) || version.served === false || !isMapping(version.schema) || !isMapping(version.schema.openAPIV3Schema)) return;
          schemas.set(`${String(spec.group)}/${String(version.name)} ${String(names.kind)}`, {
            crd: name,
            version: String(version.name),
            schema: objectSchema(version.schema.openAPIV3Schema),
            at: { source, path: [...path, 'spec', 'versions', index, 'schema', 'openAPIV3Schema'] },
          });
        });
      }
    }
  }
  return { schemas, problems };
}

const MAX_FIELDS_SHOWN = 12;

/**
 * What the CRD of the object's kind says is wrong with it; nothing when no CRD was given
 * for the kind. Field paths are the object's own (`spec.inlet`).
 */
export function checkAgainstCrd(object: KubeObject, schemas: CrdSchemas): SchemaViolation[] {
  const schema = schemas.get(`${object.apiVersion} ${object.kind}`);
  if (!schema) return [];
  const validate = validatorOf(schema);
  if (typeof validate !== 'function' || validate(object)) return [];
  return explain(validate.errors ?? []).map((violation) => ({
    ...violation,
    code: ProblemCode.ManifestSchema,
    expected: `${shorten(violation.expected)} (CRD ${schema.crd} ${schema.version})`,
  }));
}

/** A CRD's list of fields can run to dozens: the first few say enough. */
function shorten(expected: string): string {
  const match = /^one of the fields (.*)$/.exec(expected);
  if (!match) return expected;
  const fields = match[1]!.split(', ');
  return fields.length <= MAX_FIELDS_SHOWN ? expected : `one of the fields ${fields.slice(0, MAX_FIELDS_SHOWN).join(', ')}, … (${fields.length} in all)`;
}

