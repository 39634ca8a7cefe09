/**
 * Builds the dashboard into `ui/dist` with Vite; `pnpm build` (and so `pnpm install`) calls it
 * because the hub serves that folder at `/ui/`.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Where the built dashboard is written: index.html and hashed files under assets/. */
export const UI_DIST = fileURLToPath(new URL('./dist', import.meta.url));

export async function buildUi(): Promise<string> {
  await build({ configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)) });
  return UI_DIST;
}
