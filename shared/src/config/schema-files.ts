import { KINDS, KIND_NAMES, SUBSTITUTED_KINDS } from './kinds/index.js';

/** A string that is a `${...}` variable reference, checked by netfleet after substitution. */
const REFERENCE = { type: 'string', pattern: '\\$\\{[^}]+\\}', description: 'A ${...} variable, checked after substitution.' };

type JsonSchema = Record<string, unknown>;

function isScalarSchema(schema: JsonSchema): boolean {
  if (schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean') return true;
  // A lone `const` string is a union tag, never a variable.
  if (schema.type === 'string') return 'pattern' in schema;
  return Array.isArray(schema.anyOf) && (schema.anyOf as JsonSchema[]).every((branch) => 'const' in branch);
}

/**
 * Spec fields whose value a `${...}` reference may stand for also accept the reference in
 * the shipped schema, so an editor does not flag `ip: ${vars.egressVIP}`. Only kinds
 * substituted per cluster: elsewhere netfleet refuses references, and so does the schema.
 */
function allowReferences(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowReferences);
  if (typeof schema !== 'object' || schema === null) return schema;
  const node = schema as JsonSchema;
  if (isScalarSchema(node)) return { anyOf: [node, REFERENCE] };
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, key === 'discriminator' ? value : allowReferences(value)]));
}

/**
 * The JSON Schema files shipped in `shared/schemas/`, one per document kind, generated
 * from the TypeBox definitions (the single source of truth) so editors can validate YAML.
 */
export function generateSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of KIND_NAMES) {
    const schema = JSON.parse(JSON.stringify(KINDS[kind].schema)) as JsonSchema & { properties: JsonSchema };
    const properties = SUBSTITUTED_KINDS.has(kind) ? { ...schema.properties, spec: allowReferences(schema.properties.spec) } : schema.properties;
    files.set(`${kind}.schema.json`, `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema, properties }, null, 2)}\n`);
  }
  return files;
}
