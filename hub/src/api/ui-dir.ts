import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/**
 * The dashboard sources edited since the build in `dir` was made: its `sources.json` (written
 * by ui/build.ts) lists them from the checkout's root, two levels above the build (`ui/dist`,
 * or `dist/ui` in the CLI bundle). None when the build lists none or outside a checkout.
 */
export function uiSourcesNewerThanBuild(dir: string): string[] {
  let built: number;
  let sources: unknown;
  try {
    built = statSync(join(dir, 'index.html')).mtimeMs;
    sources = JSON.parse(readFileSync(join(dir, 'sources.json'), 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(sources)) return [];
  const root = resolve(dir, '../..');
  return sources.filter((file): file is string => typeof file === 'string' && (statSync(join(root, file), { throwIfNoEntry: false })?.mtimeMs ?? 0) > built);
}
