/**
 * Structural schema semantics of kube-apiserver for custom resources (and, with hand-written
 * schemas, the built-in kinds): pruning of unknown fields, defaulting and OpenAPI v3
 * validation with kube-openapi's wording. Field paths look like `spec.ports[0].name`.
 */
import { fieldErrors, type FieldError } from './status.js';
import { clone, deepEqual, isObject, jsonTypeOf, type JsonObject } from './json.js';
import { CelEvaluationError, UnsupportedCelError, evaluateCel, isTransitionRule } from './cel.js';

/** A (stripped) OpenAPI v3 schema node, as found in a CRD's `openAPIV3Schema`. */
export type Schema = JsonObject;

const stringSchema: Schema = { type: 'string' };
const stringMapSchema: Schema = { type: 'object', additionalProperties: stringSchema };

/** ObjectMeta as kube-apiserver treats `metadata` of every object, whatever the CRD says. */
export const OBJECT_META_SCHEMA: Schema = {
  type: 'object',
  properties: {
    name: stringSchema,
    generateName: stringSchema,
    namespace: stringSchema,
    selfLink: stringSchema,
    uid: stringSchema,
    resourceVersion: stringSchema,
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', nullable: true },
    deletionTimestamp: { type: 'string', nullable: true },
    deletionGracePeriodSeconds: { type: 'integer' },
    labels: stringMapSchema,
    annotations: stringMapSchema,
    ownerReferences: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['uid'],
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: stringSchema, kind: stringSchema, name: stringSchema, uid: stringSchema,
          controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' },
        },
      },
    },
    finalizers: { type: 'array', 'x-kubernetes-list-type': 'set', items: stringSchema },
    managedFields: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  },
};

/** The schema of a whole object: the given one with kube-apiserver's `apiVersion`/`kind`/`metadata`. */
export function objectSchema(schema: Schema): Schema {
  const properties = isObject(schema.properties) ? schema.properties : {};
  return {
    ...schema,
    type: 'object',
    properties: { ...properties, apiVersion: stringSchema, kind: stringSchema, metadata: OBJECT_META_SCHEMA },
  };
}

export function schemaProperties(schema: Schema | undefined): Record<string, Schema> {
  return schema && isObject(schema.properties) ? (schema.properties as Record<string, Schema>) : {};
}

export function additionalPropertiesSchema(schema: Schema | undefined): Schema | undefined {
  return schema && isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
}

export function itemsSchema(schema: Schema | undefined): Schema | undefined {
  return schema && isObject(schema.items) ? schema.items : undefined;
}

export function preservesUnknownFields(schema: Schema | undefined): boolean {
  return schema?.['x-kubernetes-preserve-unknown-fields'] === true;
}

function isEmbedded(schema: Schema): boolean {
  return schema['x-kubernetes-embedded-resource'] === true;
}

export function joinField(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Removes fields the schema does not declare, in place, and returns their paths
 * (`spec.foo`, `spec.ports[0].bar`) for the `unknown field` warning or strict error.
 */
export function pruneUnknownFields(value: unknown, schema: Schema | undefined, path = ''): string[] {
  const unknown: string[] = [];
  prune(value, schema, path, unknown);
  return unknown;
}

function prune(value: unknown, schema: Schema | undefined, path: string, unknown: string[]): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const items = itemsSchema(schema);
    value.forEach((item, index) => prune(item, items, `${path}[${index}]`, unknown));
    return;
  }
  if (!isObject(value)) return;
  const properties = schemaProperties(schema);
  const additional = additionalPropertiesSchema(schema);
  const keepUnknown = preservesUnknownFields(schema) || schema.additionalProperties === true;
  const embedded = isEmbedded(schema);
  for (const key of Object.keys(value)) {
    const field = joinField(path, key);
    if (embedded && key === 'metadata') prune(value[key], OBJECT_META_SCHEMA, field, unknown);
    else if (key in properties) prune(value[key], properties[key], field, unknown);
    else if (additional) prune(value[key], additional, field, unknown);
    else if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    else if (!keepUnknown) {
      unknown.push(field);
      delete value[key];
    }
  }
}

/** Applies `default`s top-down, in place, as the structural defaulting of kube-apiserver does. */
export function applyDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const items = itemsSchema(schema);
    for (const item of value) applyDefaults(item, items);
    return;
  }
  if (!isObject(value)) return;
  for (const [key, property] of Object.entries(schemaProperties(schema))) {
    const absent = !(key in value) || (value[key] === null && property.nullable !== true);
    if (absent && property.default !== undefined) value[key] = clone(property.default);
    if (key in value) applyDefaults(value[key], property);
  }
  const additional = additionalPropertiesSchema(schema);
  if (additional) for (const item of Object.values(value)) applyDefaults(item, additional);
}

/** Options of {@link validateValue}. */
export interface ValidateOptions {
  /** Report keys the schema does not declare as errors (the DKP module-settings webhook does). */
  rejectUnknownFields?: boolean;
  /** The stored version of the value, for `oldSelf` in transition rules (updates only). */
  oldValue?: unknown;
}

/** Validates a value against an OpenAPI v3 schema; errors read like kube-apiserver's. */
export function validateValue(value: unknown, schema: Schema | undefined, path = '', options: ValidateOptions = {}): FieldError[] {
  const errors: FieldError[] = [];
  if (schema) validate(value, schema, path, options, errors, options.oldValue);
  return errors;
}

function validate(value: unknown, schema: Schema, path: string, options: ValidateOptions, errors: FieldError[], old: unknown): void {
  const field = path || '<root>';
  if (value === null) {
    if (schema.nullable === true || schema.type === undefined) return;
    errors.push(fieldErrors.typeInvalid(field, 'null', `${field} in body must be of type ${String(schema.type)}: "null"`));
    return;
  }
  if (!checkType(value, schema, field, errors)) return;

  if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => deepEqual(allowed, value))) {
    errors.push(fieldErrors.notSupported(field, value, schema.enum));
  }
  if (typeof value === 'string') validateString(value, schema, field, errors);
  if (typeof value === 'number') validateNumber(value, schema, field, errors);
  if (Array.isArray(value)) validateArray(value, schema, path, options, errors, old);
  if (isObject(value)) validateObject(value, schema, path, options, errors, old);
  validateCombinators(value, schema, path, options, errors, old);
  validateRules(value, schema, field, errors, old);
}

/**
 * `x-kubernetes-validations` in the CEL subset cel.ts knows; rules outside it are not
 * enforced. Transition rules (with `oldSelf`) apply only when there is a stored value.
 */
function validateRules(value: unknown, schema: Schema, field: string, errors: FieldError[], old: unknown): void {
  const rules = schema['x-kubernetes-validations'];
  if (!Array.isArray(rules)) return;
  for (const rule of rules) {
    if (!isObject(rule) || typeof rule.rule !== 'string') continue;
    if (isTransitionRule(rule.rule) && old === undefined) continue;
    let passed: boolean;
    let detail = typeof rule.message === 'string' ? rule.message : `failed rule: ${rule.rule}`;
    try {
      passed = evaluateCel(rule.rule, value, old);
    } catch (error) {
      if (error instanceof UnsupportedCelError) continue;
      if (!(error instanceof CelEvaluationError)) throw error;
      passed = false;
      detail = `${detail}: ${error.message}`;
    }
    if (!passed) errors.push(fieldErrors.invalid(field, jsonTypeOf(value), detail));
  }
}

function checkType(value: unknown, schema: Schema, field: string, errors: FieldError[]): boolean {
  const actual = jsonTypeOf(value);
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (actual === 'integer' || actual === 'string') return true;
    errors.push(fieldErrors.typeInvalid(field, actual, `${field} in body must be of type integer,string: ${JSON.stringify(actual)}`));
    return false;
  }
  const expected = schema.type;
  if (typeof expected !== 'string') return true;
  const matches = expected === actual || (expected === 'number' && actual === 'integer');
  if (matches) return true;
  errors.push(fieldErrors.typeInvalid(field, actual, `${field} in body must be of type ${expected}: ${JSON.stringify(actual)}`));
  return false;
}

function validateString(value: string, schema: Schema, field: string, errors: FieldError[]): void {
  if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) {
    errors.push(fieldErrors.tooLong(field, schema.maxLength));
  }
  if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
    errors.push(fieldErrors.invalid(field, value, `${field} in body should be at least ${schema.minLength} chars long`));
  }
  if (typeof schema.pattern === 'string' && !compilePattern(schema.pattern).test(value)) {
    errors.push(fieldErrors.invalid(field, value, `${field} in body should match '${schema.pattern}'`));
  }
  const format = schema.format;
  if (format === 'date-time' && Number.isNaN(Date.parse(value))) {
    errors.push(fieldErrors.invalid(field, value, `${field} in body must be of type date-time: ${JSON.stringify(value)}`));
  }
  if (format === 'byte' && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    errors.push(fieldErrors.invalid(field, '<value omitted>', 'illegal base64 data'));
  }
}

function validateNumber(value: number, schema: Schema, field: string, errors: FieldError[]): void {
  const { minimum, maximum, multipleOf } = schema;
  if (typeof minimum === 'number') {
    if (schema.exclusiveMinimum === true ? value <= minimum : value < minimum) {
      errors.push(fieldErrors.invalid(field, value, `${field} in body should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${minimum}`));
    }
  }
  if (typeof maximum === 'number') {
    if (schema.exclusiveMaximum === true ? value >= maximum : value > maximum) {
      errors.push(fieldErrors.invalid(field, value, `${field} in body should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${maximum}`));
    }
  }
  if (typeof multipleOf === 'number' && multipleOf > 0 && !Number.isInteger(value / multipleOf)) {
    errors.push(fieldErrors.invalid(field, value, `${field} in body should be a multiple of ${multipleOf}`));
  }
}

function validateArray(value: unknown[], schema: Schema, path: string, options: ValidateOptions, errors: FieldError[], old: unknown): void {
  const field = path || '<root>';
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
    errors.push(fieldErrors.tooMany(field, value.length, schema.maxItems));
  }
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
    errors.push(fieldErrors.invalid(field, value.length, `${field} in body should have at least ${schema.minItems} items`));
  }
  const items = itemsSchema(schema);
  const listType = schema['x-kubernetes-list-type'];
  const keys = Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : [];
  const oldItems = Array.isArray(old) ? old : [];
  // Old items correlate with new ones only in map lists (by key) and sets (by value).
  const oldItemOf = (item: unknown): unknown => {
    if (listType === 'set') return oldItems.find((candidate) => deepEqual(candidate, item));
    if (listType !== 'map' || !isObject(item)) return undefined;
    return oldItems.find((candidate) => isObject(candidate) && keys.every((key) => deepEqual(candidate[key], item[key])));
  };
  if (items) value.forEach((item, index) => validate(item, items, `${path}[${index}]`, options, errors, oldItemOf(item)));
  if (listType === 'set' || schema.uniqueItems === true) {
    value.forEach((item, index) => {
      if (value.findIndex((other) => deepEqual(other, item)) !== index) errors.push(fieldErrors.duplicate(`${path}[${index}]`, item));
    });
  }
  if (listType === 'map' && keys.length > 0) {
    const seen: unknown[] = [];
    value.forEach((item, index) => {
      if (!isObject(item)) return;
      const key = Object.fromEntries(keys.map((name) => [name, item[name]]));
      if (seen.some((other) => deepEqual(other, key))) errors.push(fieldErrors.duplicate(`${path}[${index}]`, key));
      seen.push(key);
    });
  }
}

function validateObject(value: JsonObject, schema: Schema, path: string, options: ValidateOptions, errors: FieldError[], old: unknown): void {
  const field = path || '<root>';
  const properties = schemaProperties(schema);
  for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
    if (!(name in value)) errors.push(fieldErrors.required(joinField(path, name)));
  }
  const count = Object.keys(value).length;
  if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) {
    errors.push(fieldErrors.tooMany(field, count, schema.maxProperties));
  }
  if (typeof schema.minProperties === 'number' && count < schema.minProperties) {
    errors.push(fieldErrors.invalid(field, count, `${field} in body should have at least ${schema.minProperties} properties`));
  }
  const additional = additionalPropertiesSchema(schema);
  for (const [key, item] of Object.entries(value)) {
    const child = joinField(path, key);
    const oldItem = isObject(old) ? old[key] : undefined;
    if (key in properties) validate(item, properties[key]!, child, options, errors, oldItem);
    else if (additional) validate(item, additional, child, options, errors, oldItem);
    else if (options.rejectUnknownFields && schema.additionalProperties !== true && !preservesUnknownFields(schema)
      && (Object.keys(properties).length > 0 || schema.additionalProperties === false)) {
      errors.push(fieldErrors.forbidden(child, 'is a forbidden property'));
    }
  }
}

/** `allOf`/`anyOf`/`oneOf`/`not` branches only constrain the value; they never declare fields. */
function validateCombinators(value: unknown, schema: Schema, path: string, options: ValidateOptions, errors: FieldError[], old: unknown): void {
  const field = path || '<root>';
  const branchOptions = { ...options, rejectUnknownFields: false, oldValue: old };
  const passes = (branch: unknown) => isObject(branch) && validateValue(value, branch, path, branchOptions).length === 0;
  if (Array.isArray(schema.allOf)) {
    for (const branch of schema.allOf) if (isObject(branch)) validate(value, branch, path, branchOptions, errors, old);
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some(passes)) {
    errors.push(fieldErrors.invalid(field, jsonTypeOf(value), `${field} in body must validate at least one schema (anyOf)`));
  }
  if (Array.isArray(schema.oneOf)) {
    const valid = schema.oneOf.filter(passes).length;
    if (valid !== 1) {
      const found = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      errors.push(fieldErrors.invalid(field, jsonTypeOf(value), `${field} in body must validate one and only one schema (oneOf). ${found}`));
    }
  }
  if (isObject(schema.not) && passes(schema.not)) {
    errors.push(fieldErrors.invalid(field, jsonTypeOf(value), `${field} in body must not validate the schema (not)`));
  }
}

const patternCache = new Map<string, RegExp>();

/**
 * ECMA-262 is close enough to Go's RE2 for the patterns CRDs use, but for RE2's flag group:
 * `(?i)` (also `s`, `m`) at the start, or after a leading `^` (prometheus-operator's
 * `^(?i)(abort|warn)?$`), is the same as that JavaScript flag on the whole pattern.
 */
function compilePattern(pattern: string): RegExp {
  let compiled = patternCache.get(pattern);
  if (!compiled) {
    const flagGroup = /^(\^?)\(\?([ims]+)\)/.exec(pattern);
    const source = flagGroup ? `${flagGroup[1]}${pattern.slice(flagGroup[0].length)}` : pattern;
    const flags = flagGroup?.[2] ?? '';
    try {
      compiled = new RegExp(source, `${flags}u`);
    } catch {
      compiled = new RegExp(source, flags);
    }
    patternCache.set(pattern, compiled);
  }
  return compiled;
}
