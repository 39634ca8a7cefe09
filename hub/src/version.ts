import { readFileSync } from 'node:fs';

/** The hub package version; part of Lua script names and reported by /healthz. */
export const HUB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
