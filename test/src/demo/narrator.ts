/** Progress lines for a person watching the demo, and bounded waits that say what they waited for. */

export class DemoError extends Error {
  override readonly name = 'DemoError';
}

export class Narrator {
  readonly #out: NodeJS.WritableStream;
  readonly #startedAt = Date.now();

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  /** A numbered step heading. */
  step(number: number, total: number, title: string): void {
    this.#out.write(`\n[${number}/${total}] ${title}\n`);
  }

  /** One indented line. */
  line(text: string): void {
    this.#out.write(`  ${text}\n`);
  }

  /** Several lines (a table, a grid), indented. */
  block(text: string): void {
    for (const line of text.replace(/\n+$/, '').split('\n')) this.#out.write(line.trim() === '' ? '\n' : `    ${line}\n`);
  }

  /** Text written as is (the title, the closing line). */
  raw(text: string): void {
    this.#out.write(text);
  }

  /** Seconds since the narrator was created, e.g. `12.3 s`. */
  elapsed(): string {
    return seconds(Date.now() - this.#startedAt);
  }
}

/** A duration for a person: `240 ms` below a second, `12.3 s` above. */
export const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined or false;
 * fails with `what` (worked out at that moment) once `timeoutMs` has passed, naming the last error seen.
 */
export async function waitFor<T>(
  what: string | (() => string), timeoutMs: number, check: () => Promise<T | undefined | false> | T | undefined | false, intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new DemoError(`timed out after ${seconds(timeoutMs)} waiting for ${typeof what === 'string' ? what : what()}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
