/** How long `eventually` waits by default: generous, since tests share a busy two-core machine. */
export const EVENTUALLY_TIMEOUT_MS = 120_000;

export interface EventuallyOptions {
  /** Give up after this long (default EVENTUALLY_TIMEOUT_MS); only to wait longer, never to assert speed. */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  intervalMs?: number;
}

/**
 * Polls `check` until it holds, like Gomega's Eventually: it holds once it returns without
 * throwing and returns anything but `false` (so `expect(...)` inside, or a boolean, both
 * work); resolves with what it returned. On timeout it fails with the last failure or value
 * it observed, so the message says how far the condition got.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? EVENTUALLY_TIMEOUT_MS;
  const started = Date.now();
  let attempts = 0;
  let last: { error: unknown } | { value: unknown };
  for (;;) {
    attempts += 1;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() - started >= timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
  const observed = 'error' in last ? (last.error instanceof Error ? last.error.message : String(last.error)) : `the check returned ${String(last.value)}`;
  const failure = new Error(`condition still not met after ${((Date.now() - started) / 1000).toFixed(1)} s (${attempts} checks); last observed: ${observed}`, {
    cause: 'error' in last ? last.error : undefined,
  });
  // Keep an assertion's expected and actual values, so the runner still shows the diff.
  if ('error' in last && last.error instanceof Error && 'actual' in last.error) {
    const { expected, actual, showDiff } = last.error as Error & { expected?: unknown; actual?: unknown; showDiff?: boolean };
    Object.assign(failure, { expected, actual, showDiff });
  }
  throw failure;
}
