#!/usr/bin/env node
// Runs the bundle `pnpm install` builds (`pnpm build`: dist/netfleet.mjs) when none of the
// sources it was built from changed since; otherwise the TypeScript sources through tsx's
// loader, so a checkout being edited always runs what it holds.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);

function freshBundle() {
  try {
    const bundle = new URL('dist/netfleet.mjs', root);
    const built = statSync(bundle).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('dist/sources.json', root), 'utf8'));
    return sources.every((file) => statSync(new URL(file, root)).mtimeMs <= built) ? bundle : undefined;
  } catch {
    return undefined; // no bundle, or a source it was built from is gone
  }
}

const bundle = freshBundle();
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/run.ts');
}
