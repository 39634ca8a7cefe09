/**
 * `pnpm demo:fleet`: the demo fleet. Exits 0 when every step did what it shows, 1 when one
 * failed (the last line says which); Ctrl-C stops it and still cleans up.
 */
import { runDemo } from './demo.js';

const interrupted = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interrupted.abort());

const code = await runDemo({ signal: interrupted.signal });
process.exitCode = code;
// Everything is stopped by now; a connection that lingers must not keep the process alive.
setTimeout(() => process.exit(code), 3_000).unref();
