import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';

/**
 * A new ajv instance, ajv being loaded at the first call. The agent needs ajv only to explain a
 * fleet value that fails its schema (`netfleet validate` also checks objects against CRDs);
 * loaded at start, its modules would hold about 1 MB of every agent's heap (docs/agent.md#memory).
 * The production bundle leaves ajv in node_modules (`LOADED_AT_FIRST_USE` in scripts/build.ts)
 * and its `require` is node's; run from the sources (tsx, tests), `createRequire` loads it.
 */
export function createAjv(options: AjvModule.Options): AjvModule.Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load on first use, see above
  const { Ajv } = (typeof require === 'function' ? require('ajv') : createRequire(import.meta.url)('ajv')) as typeof AjvModule;
  return new Ajv(options);
}
