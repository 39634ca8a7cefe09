// Regenerates shared/schemas/*.schema.json from the TypeBox document definitions.
// Run with `pnpm --filter @netfleet/shared schemas` after changing a kind.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateSchemaFiles } from '../src/config/schema-files.js';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
const files = generateSchemaFiles();
for (const name of await readdir(dir)) if (name.endsWith('.schema.json') && !files.has(name)) await rm(`${dir}${name}`);
for (const [name, text] of files) await writeFile(`${dir}${name}`, text);
process.stdout.write(`wrote ${files.size} schemas to ${dir}\n`);
