/**
 * Builds the dashboard into `ui/dist` with Vite; `pnpm build` (and so `pnpm install`) calls it
 * because the hub serves that folder at `/ui/`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const UI_ROOT = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = resolve(UI_ROOT, '..');
const CONFIG = join(UI_ROOT, 'vite.config.ts');

/** Where the built dashboard is written: index.html and hashed files under assets/. */
export const UI_DIST = join(UI_ROOT, 'dist');

/**
 * The repository files the build in `ui/dist` was made from (paths from the repository root),
 * in `ui/dist/sources.json`: the CLI bundle, which carries the dashboard, adds them to its own
 * list so the `netfleet` bin notices a dashboard source edited since. The hub serves only
 * index.html and assets/, not this file.
 */
const SOURCES_FILE = join(UI_DIST, 'sources.json');

interface BuiltFile {
  type: 'chunk' | 'asset';
  moduleIds?: readonly string[];
  originalFileNames?: readonly string[];
}

export async function buildUi(): Promise<string> {
  const result = await build({ configFile: CONFIG });
  const outputs = (Array.isArray(result) ? result : [result]) as { output: readonly BuiltFile[] }[];
  const inputs = outputs.flatMap(({ output }) => output.flatMap((file) => [...(file.moduleIds ?? []), ...(file.originalFileNames ?? [])]));
  const sources = new Set([CONFIG, ...inputs].flatMap((input) => {
    // Virtual modules start with NUL; relative asset names are relative to the UI's root.
    if (input.startsWith('\0')) return [];
    const path = relative(REPO_ROOT, isAbsolute(input) ? input : resolve(UI_ROOT, input)).split(sep).join('/');
    return path.startsWith('..') || path.includes('node_modules/') ? [] : [path];
  }));
  await writeFile(SOURCES_FILE, `${JSON.stringify([...sources].sort(), null, 1)}\n`);
  return UI_DIST;
}

/** The sources the build in `ui/dist` lists; none when it lists none (built by other means). */
export async function builtUiSources(): Promise<string[]> {
  try {
    return JSON.parse(await readFile(SOURCES_FILE, 'utf8')) as string[];
  } catch {
    return [];
  }
}
