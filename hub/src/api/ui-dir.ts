import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the built dashboard is: `ui/` beside the module in the CLI bundle (scripts/build.ts
 * copies it there), `ui/dist` of the workspace when running from source. Undefined when it
 * was not built; the hub then answers /ui/ saying how to build it.
 */
export function defaultUiDir(): string | undefined {
  const candidates = [new URL('./ui/', import.meta.url), new URL('../../../ui/dist/', import.meta.url)].map((url) => fileURLToPath(url));
  return candidates.find((dir) => existsSync(`${dir}index.html`));
}
