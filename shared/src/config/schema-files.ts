import { KINDS, KIND_NAMES } from './kinds/index.js';

/**
 * The JSON Schema files shipped in `shared/schemas/`, one per document kind, generated
 * from the TypeBox definitions (the single source of truth) so editors can validate YAML.
 */
export function generateSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const kind of KIND_NAMES) {
    const schema = { $schema: 'http://json-schema.org/draft-07/schema#', ...KINDS[kind].schema };
    files.set(`${kind}.schema.json`, `${JSON.stringify(schema, null, 2)}\n`);
  }
  return files;
}
