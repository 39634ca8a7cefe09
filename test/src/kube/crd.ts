/**
 * CustomResourceDefinitions as kube-apiserver's apiextensions handles them: the declared
 * JSONSchemaProps keys (anything else is an unknown field, which is how a CRD still carrying
 * DKP's `x-doc-*` keys fails), the structural-schema rules, and the resource types a CRD serves.
 */
import { fieldErrors, type FieldError } from './status.js';
import { isObject, metadataOf, rfc3339Now, type JsonObject } from './json.js';
import { objectSchema, type Schema } from './schema.js';
import type { ResourceType } from './resource-type.js';

const str: Schema = { type: 'string' };
const anything: Schema = { 'x-kubernetes-preserve-unknown-fields': true };

/** The CRD object's own schema; `openAPIV3Schema` is checked by {@link pruneUndeclaredSchemaKeys}. */
export const CRD_SCHEMA: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['group', 'names', 'scope', 'versions'],
      properties: {
        group: str,
        names: {
          type: 'object',
          required: ['plural', 'kind'],
          properties: {
            plural: str, singular: str, kind: str, listKind: str,
            shortNames: { type: 'array', items: str }, categories: { type: 'array', items: str },
          },
        },
        scope: { type: 'string', enum: ['Cluster', 'Namespaced'] },
        versions: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {
            type: 'object',
            required: ['name', 'served', 'storage'],
            properties: {
              name: str, served: { type: 'boolean' }, storage: { type: 'boolean' },
              deprecated: { type: 'boolean' }, deprecationWarning: str,
              schema: {
                type: 'object',
                properties: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-map-type': 'atomic' } },
              },
              subresources: { type: 'object', properties: { status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, scale: anything } },
              additionalPrinterColumns: { type: 'array', items: anything },
              selectableFields: { type: 'array', items: anything },
            },
          },
        },
        conversion: anything,
        preserveUnknownFields: { type: 'boolean' },
      },
    },
    status: anything,
  },
};

/** The keys kube-apiserver declares in JSONSchemaProps. */
const DECLARED_SCHEMA_KEYS = new Set([
  'id', '$schema', '$ref', 'description', 'type', 'format', 'title', 'default', 'maximum', 'exclusiveMaximum',
  'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems',
  'multipleOf', 'enum', 'maxProperties', 'minProperties', 'required', 'items', 'allOf', 'oneOf', 'anyOf', 'not',
  'properties', 'additionalProperties', 'patternProperties', 'dependencies', 'additionalItems', 'definitions',
  'externalDocs', 'example', 'nullable', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string', 'x-kubernetes-list-map-keys', 'x-kubernetes-list-type', 'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/** Keywords a CRD schema may not use (apiextensions validation). */
const FORBIDDEN_KEYWORDS: Record<string, string> = {
  $ref: '$ref is not supported',
  id: 'id is not supported',
  $schema: '$schema is not supported',
  definitions: 'definitions is not supported',
  dependencies: 'dependencies is not supported',
  patternProperties: 'patternProperties is not supported',
  additionalItems: 'additionalItems cannot be set to false',
};

function versionsOf(crd: JsonObject): JsonObject[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  return Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
}

function rootSchemaOf(version: JsonObject): unknown {
  return isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
}

interface ChildSchema {
  schema: unknown;
  path: string;
  keyword: string;
}

function childSchemas(schema: JsonObject, path: string): ChildSchema[] {
  const children: ChildSchema[] = [];
  for (const keyword of ['properties', 'patternProperties', 'definitions', 'dependencies']) {
    if (isObject(schema[keyword])) {
      for (const [name, child] of Object.entries(schema[keyword])) children.push({ schema: child, path: `${path}.${keyword}[${name}]`, keyword });
    }
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    if (Array.isArray(schema[keyword])) schema[keyword].forEach((child, index) => children.push({ schema: child, path: `${path}.${keyword}[${index}]`, keyword }));
  }
  for (const keyword of ['items', 'additionalProperties', 'additionalItems', 'not']) {
    if (isObject(schema[keyword])) children.push({ schema: schema[keyword], path: `${path}.${keyword}`, keyword });
  }
  return children;
}

/**
 * JSONSchemaProps fields reached through `items`, `additionalProperties`, `additionalItems`
 * and `dependencies` are decoded by custom unmarshallers (JSONSchemaPropsOrArray, ...) that
 * ignore unknown keys, and structured-merge-diff types them as untyped: below those, unknown
 * keys are dropped silently (the upstream ingress-nginx CRD relies on that with `items.name`).
 */
const LENIENT_KEYWORDS = new Set(['items', 'additionalProperties', 'additionalItems', 'dependencies']);

function pruneSchema(schema: unknown, path: string, unknown: string[], report: boolean): void {
  if (!isObject(schema)) return;
  for (const key of Object.keys(schema)) {
    if (!DECLARED_SCHEMA_KEYS.has(key)) {
      if (report) unknown.push(`${path}.${key}`);
      delete schema[key];
    }
  }
  for (const child of childSchemas(schema, path)) {
    pruneSchema(child.schema, child.path, unknown, report && !LENIENT_KEYWORDS.has(child.keyword));
  }
}

/** Removes keys JSONSchemaProps does not declare (in place); returns their paths. */
export function pruneUndeclaredSchemaKeys(crd: JsonObject): string[] {
  const unknown: string[] = [];
  versionsOf(crd).forEach((version, index) => pruneSchema(rootSchemaOf(version), `spec.versions[${index}].schema.openAPIV3Schema`, unknown, true));
  return unknown;
}

function structuralErrors(schema: unknown, path: string, inValueValidation: boolean, errors: FieldError[]): void {
  if (!isObject(schema)) return;
  for (const [keyword, detail] of Object.entries(FORBIDDEN_KEYWORDS)) {
    if (keyword in schema && !(keyword === 'additionalItems' && schema[keyword] !== false)) errors.push(fieldErrors.forbidden(`${path}.${keyword}`, detail));
  }
  if (schema.uniqueItems === true) {
    errors.push(fieldErrors.forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  }
  if (isObject(schema.properties) && schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    errors.push(fieldErrors.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
  }
  const typeless = schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (!inValueValidation && schema.type === undefined && !typeless) {
    errors.push(fieldErrors.required(`${path}.type`, 'must not be empty for specified object fields'));
  }
  if (!inValueValidation && schema.type === 'array' && !isObject(schema.items)) {
    errors.push(fieldErrors.required(`${path}.items`, 'must be specified'));
  }
  listMapErrors(schema, path, errors);
  for (const child of childSchemas(schema, path)) {
    const valueValidation = inValueValidation || ['allOf', 'anyOf', 'oneOf', 'not'].includes(child.keyword);
    structuralErrors(child.schema, child.path, valueValidation, errors);
  }
}

function listMapErrors(schema: JsonObject, path: string, errors: FieldError[]): void {
  const listType = schema['x-kubernetes-list-type'];
  const keys = schema['x-kubernetes-list-map-keys'];
  if (listType !== undefined && !['atomic', 'set', 'map'].includes(String(listType))) {
    errors.push(fieldErrors.notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
  }
  if (keys !== undefined && listType !== 'map') {
    errors.push(fieldErrors.forbidden(`${path}.x-kubernetes-list-map-keys`, 'must not be set if x-kubernetes-list-type is not map'));
  }
  if (listType !== 'map') return;
  if (!Array.isArray(keys) || keys.length === 0) {
    errors.push(fieldErrors.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    return;
  }
  const items = isObject(schema.items) ? schema.items : {};
  if (items.type !== 'object') {
    errors.push(fieldErrors.invalid(`${path}.items.type`, items.type ?? '', 'must be object if parent array\'s x-kubernetes-list-type is map'));
  }
  const properties = isObject(items.properties) ? items.properties : {};
  const missing = keys.filter((key) => !(String(key) in properties));
  if (missing.length > 0) {
    errors.push(fieldErrors.invalid(`${path}.x-kubernetes-list-map-keys`, keys, 'entries must all be names of item properties'));
  }
}

/** Checks a CRD the way apiextensions validation does (the parts netfleet's CRDs exercise). */
export function validateCrd(crd: JsonObject): FieldError[] {
  const errors: FieldError[] = [];
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const name = String(metadataOf(crd).name ?? '');
  if (name !== `${String(names.plural)}.${String(spec.group)}`) {
    errors.push(fieldErrors.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  }
  if (typeof spec.group === 'string' && !spec.group.includes('.')) {
    errors.push(fieldErrors.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  }
  const versions = versionsOf(crd);
  if (versions.length === 0) errors.push(fieldErrors.required('spec.versions', 'must have exactly one version marked as storage version'));
  else if (versions.filter((version) => version.storage === true).length !== 1) {
    errors.push(fieldErrors.invalid('spec.versions', versions.map((version) => version.name), 'must have exactly one version marked as storage version'));
  }
  versions.forEach((version, index) => {
    const path = `spec.versions[${index}].schema.openAPIV3Schema`;
    const root = rootSchemaOf(version);
    if (!isObject(root)) errors.push(fieldErrors.required(path, 'schemas are required'));
    else structuralErrors(root, path, false, errors);
  });
  return errors;
}

/** Status kube-apiserver gives an accepted CRD (names accepted, established). */
export function establishCrd(crd: JsonObject, previous: JsonObject | undefined): void {
  const kept = previous && isObject(previous.status) ? previous.status.conditions : undefined;
  const status = establishedStatus(crd, rfc3339Now());
  if (Array.isArray(kept)) status.conditions = kept;
  crd.status = status;
}

function establishedStatus(crd: JsonObject, now: string): JsonObject & { conditions: unknown } {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? { ...spec.names } : {};
  const kind = String(names.kind ?? '');
  names.singular ??= kind.toLowerCase();
  names.listKind ??= `${kind}List`;
  const storage = versionsOf(crd).find((version) => version.storage === true)?.name;
  const condition = (type: string, reason: string, message: string) => ({ type, status: 'True', lastTransitionTime: now, reason, message });
  return {
    acceptedNames: names,
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    storedVersions: storage ? [storage] : [],
  };
}

/** The resource types a CRD serves: one per served version. */
export function crdResourceTypes(crd: JsonObject): ResourceType[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const kind = String(names.kind);
  return versionsOf(crd).filter((version) => version.served === true).map((version) => ({
    group: String(spec.group),
    version: String(version.name),
    kind,
    listKind: typeof names.listKind === 'string' ? names.listKind : `${kind}List`,
    plural: String(names.plural),
    singular: typeof names.singular === 'string' ? names.singular : kind.toLowerCase(),
    namespaced: spec.scope === 'Namespaced',
    shortNames: Array.isArray(names.shortNames) ? names.shortNames.map(String) : [],
    categories: Array.isArray(names.categories) ? names.categories.map(String) : [],
    schema: objectSchema(isObject(rootSchemaOf(version)) ? (rootSchemaOf(version) as JsonObject) : {}),
    statusSubresource: isObject(version.subresources) && isObject(version.subresources.status),
    tracksGeneration: true,
    crdName: String(metadataOf(crd).name),
    ...(version.deprecated === true ? { deprecationWarning: deprecationWarningOf(spec, version, kind) } : {}),
  }));
}

/** The CRD's own warning text, or apiextensions' default one. */
function deprecationWarningOf(spec: JsonObject, version: JsonObject, kind: string): string {
  if (typeof version.deprecationWarning === 'string') return version.deprecationWarning;
  return `${String(spec.group)}/${String(version.name)} ${kind} is deprecated`;
}
