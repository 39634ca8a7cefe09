import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { createAjv } from './ajv.js';
import { ProblemCode, describeValue, oneOf } from './errors.js';
import type { FieldPath } from './source.js';

/** A schema violation, before it is placed in a file. */
export interface SchemaViolation {
  code: ProblemCode;
  path: FieldPath;
  found: string;
  expected: string;
}

let explainer: Ajv | undefined;

/** The ajv that explains violations, made when the first value fails. */
function explainingAjv(): Ajv {
  if (!explainer) {
    explainer = createAjv({ allErrors: true, strict: true, strictRequired: false, discriminator: true, verbose: true, allowUnionTypes: true });
    // `expected` is an annotation: the phrase shown to a user when a value does not match.
    explainer.addVocabulary(['expected']);
  }
  return explainer;
}

const compiled = new WeakMap<TSchema, ValidateFunction>();

/**
 * Validates `value` against a TypeBox schema and explains every violation not `excused`.
 * The common, valid case is checked by TypeBox's interpreter; ajv (slow to compile,
 * precise in its errors) is compiled for a schema only when a value fails, to explain why.
 */
export function validateSchema(schema: TSchema, value: unknown, excused: (path: FieldPath) => boolean = () => false): SchemaViolation[] {
  if (Value.Check(schema, value)) return [];
  // Failures only at excused paths (e.g. fields holding `${...}` references) need no explanation.
  if ([...Value.Errors(schema, value)].every((error) => excused(pathOf(error.path)))) return [];
  let validate = compiled.get(schema);
  if (!validate) {
    validate = explainingAjv().compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return explain(validate.errors ?? []).filter((violation) => !excused(violation.path));
}

/** Turns ajv errors into violations worded for a user, each once. */
export function explain(errors: ErrorObject[]): SchemaViolation[] {
  // A failed union explains itself once; the failures of its branches are noise. A tagged
  // union (discriminator) is the exception: its one chosen branch says what is wrong.
  const unions = errors.filter(isUnion);
  const branchless = errors.filter(
    (e) => isUnion(e) || !unions.some((u) => e.schemaPath.startsWith(u.schemaPath) && e.schemaPath !== u.schemaPath),
  );
  // A failed union adds nothing where a direct error already explains the same value.
  const relevant = branchless.filter(
    (e) => !isUnion(e) || !branchless.some((o) => !isUnion(o) && o.keyword !== 'oneOf' && (o.instancePath === e.instancePath || o.instancePath.startsWith(`${e.instancePath}/`))),
  );
  const seen = new Set<string>();
  const violations: SchemaViolation[] = [];
  for (const error of relevant) {
    const violation = explainOne(error);
    if (!violation) continue;
    const key = `${violation.code} ${violation.path.join('\u0000')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    violations.push(violation);
  }
  return violations;
}

function isUnion(error: ErrorObject): boolean {
  return error.keyword === 'anyOf' || (error.keyword === 'oneOf' && !(error.parentSchema as { discriminator?: unknown } | undefined)?.discriminator);
}

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

function expectedText(error: ErrorObject, fallback: string): string {
  const annotation = (error.parentSchema as { expected?: unknown } | undefined)?.expected;
  return typeof annotation === 'string' ? annotation : fallback;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function explainOne(error: ErrorObject): SchemaViolation | undefined {
  const path = pathOf(error.instancePath);
  const found = describeValue(error.data);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      if ((error.parentSchema as { patternProperties?: object }).patternProperties) {
        // A map whose keys follow a rule (labels, variables): the key is the mistake.
        return { code: ProblemCode.InvalidValue, path: [...path, field], found: `key ${JSON.stringify(field)}`, expected: expectedText(error, 'a key of the documented form') };
      }
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return {
        code: ProblemCode.UnknownField,
        path: [...path, field],
        found: `unknown field ${JSON.stringify(field)}`,
        expected: known.length > 0 ? `one of the fields ${known.join(', ')}` : 'no fields here',
      };
    }
    case 'required':
      return { code: ProblemCode.MissingField, path: [...path, String(params.missingProperty)], found: 'nothing', expected: `field ${JSON.stringify(params.missingProperty)}` };
    case 'type': {
      const types = String(params.type).split(',');
      return { code: ProblemCode.WrongType, path, found, expected: types.map((t) => TYPE_WORDS[t] ?? t).join(' or ') };
    }
    case 'const':
      return { code: ProblemCode.InvalidValue, path, found, expected: JSON.stringify(params.allowedValue) };
    case 'enum':
      return { code: ProblemCode.InvalidValue, path, found, expected: oneOf(params.allowedValues as unknown[]) };
    case 'anyOf':
      return { code: ProblemCode.InvalidValue, path, found, expected: expectedText(error, unionText(error.schema as TSchema[])) };
    case 'discriminator': {
      const variants = (error.parentSchema as { oneOf: { properties: Record<string, { const: unknown }> }[] }).oneOf;
      const tag = String(params.tag);
      return {
        code: params.error === 'tag' ? ProblemCode.MissingField : ProblemCode.InvalidValue,
        path: [...path, tag],
        found: describeValue((error.data as Record<string, unknown> | null)?.[tag]),
        expected: oneOf(variants.map((v) => v.properties[tag]?.const)),
      };
    }
    case 'pattern':
      return { code: ProblemCode.InvalidValue, path, found, expected: expectedText(error, `a string matching ${String(params.pattern)}`) };
    case 'minItems':
      return { code: ProblemCode.InvalidValue, path, found: `${(error.data as unknown[]).length} items`, expected: `at least ${String(params.limit)} items` };
    case 'maxItems':
      return { code: ProblemCode.InvalidValue, path, found: `${(error.data as unknown[]).length} items`, expected: `at most ${String(params.limit)} items` };
    case 'uniqueItems':
      return {
        code: ProblemCode.InvalidValue,
        path: [...path, Math.max(Number(params.i), Number(params.j))],
        found: `a repeat of item ${Math.min(Number(params.i), Number(params.j))}`,
        expected: 'each item once',
      };
    case 'minProperties':
    case 'maxProperties':
      return { code: ProblemCode.InvalidValue, path, found: `${Object.keys(error.data as object).length} fields`, expected: expectedText(error, `${error.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(params.limit)} fields`) };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { code: ProblemCode.InvalidValue, path, found, expected: `a number ${String(params.comparison)} ${String(params.limit)}` };
    case 'maxLength':
    case 'minLength':
      return { code: ProblemCode.InvalidValue, path, found, expected: expectedText(error, `${error.keyword === 'maxLength' ? 'at most' : 'at least'} ${String(params.limit)} characters`) };
    case 'oneOf':
      // A tagged union is reported through its discriminator.
      if ((error.parentSchema as { discriminator?: unknown } | undefined)?.discriminator) return undefined;
      return { code: ProblemCode.InvalidValue, path, found, expected: 'a value that matches exactly one of the alternatives the schema allows' };
    default:
      return { code: ProblemCode.InvalidValue, path, found, expected: error.message ?? 'a valid value' };
  }
}

function unionText(branches: TSchema[]): string {
  const literals = branches.map((b) => (b as { const?: unknown }).const);
  if (literals.every((l) => l !== undefined)) return oneOf(literals);
  return branches.map((b) => TYPE_WORDS[String((b as { type?: unknown }).type)] ?? 'a value').join(' or ');
}
