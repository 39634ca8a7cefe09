/**
 * `pnpm demo:fleet [--ui]`: the demo fleet. Exits 0 when every step did what it shows, 1 when
 * one failed (the last line says which); Ctrl-C stops it and still cleans up. With `--ui` it
 * prints the dashboard's URL and a reader token, and keeps the fleet running after the last
 * scene until Ctrl-C.
 */
import { runDemo } from './demo.js';

/**
 * One Ctrl-C reaches this process twice: from the terminal, which signals the whole
 * foreground group, and relayed by tsx. The first starts the clean stop; a repeat within a
 * second is that same keypress; a later one is an impatient user, who gets an immediate exit.
 */
const REPEAT_MS = 1_000;
const interrupted = new AbortController();
let interruptedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!interrupted.signal.aborted) {
      interruptedAt = Date.now();
      interrupted.abort();
    } else if (Date.now() - interruptedAt > REPEAT_MS) {
      process.exit(130);
    }
  });
}

const unknown = process.argv.slice(2).filter((arg) => arg !== '--ui');
if (unknown.length > 0) {
  console.error(`unknown argument ${unknown.join(' ')}: pnpm demo:fleet takes only --ui (keep the fleet running with the dashboard)`);
  process.exit(2);
}
const code = await runDemo({ signal: interrupted.signal, ui: process.argv.includes('--ui') });
process.exitCode = code;
// Everything is stopped by now; a connection that lingers must not keep the process alive.
setTimeout(() => process.exit(code), 3_000).unref();
