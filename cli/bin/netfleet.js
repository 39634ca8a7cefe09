#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so a checkout needs no build step.
// Production runs the bundle instead: `pnpm build`, then `node dist/netfleet.mjs`.
import { register } from 'tsx/esm/api';

register();
await import('../src/run.ts');
