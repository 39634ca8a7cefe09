export interface PeriodicTaskOptions {
  /** Pause between the end of one run and the start of the next (from its start with `fixedRate`). */
  intervalMs: number;
  /**
   * The interval counts from the start of a run, so a slow run does not stretch the period
   * (a run longer than the interval is followed at once; runs never overlap). For work whose
   * promptness is a promise, such as how soon a silent cluster is marked offline.
   */
  fixedRate?: boolean;
  /**
   * After consecutive failures the pause doubles per failure up to this bound.
   * @defaultValue intervalMs (no backoff)
   */
  maxBackoffMs?: number;
  /** Told of each failed run and how many failed in a row; the task carries on regardless. */
  onError(error: unknown, failures: number): void;
}

/**
 * Runs an async job again and again, one run at a time, until stopped. A failing run (Redis
 * or git away) never ends the loop: it is reported and the next run tries again, so a hub
 * replica catches up on its own once its dependencies are back.
 */
export class PeriodicTask {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #stopped = true;
  #inRun = false;
  /** A run was asked for while one was in progress: start the next one right after it. */
  #again = false;

  constructor(private readonly run: () => Promise<unknown>, private readonly options: PeriodicTaskOptions) {}

  /** Starts at once; the first run begins on the next turn of the event loop. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Runs as soon as possible instead of after the pause (something the job waits for happened). */
  runSoon(): void {
    if (this.#stopped) return;
    if (this.#inRun) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a run in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      const startedAt = Date.now();
      this.#inRun = true;
      this.#again = false;
      this.#running = this.run().then(
        () => { this.#failures = 0; },
        (error: unknown) => {
          this.#failures += 1;
          this.options.onError(error, this.#failures);
        },
      ).finally(() => {
        this.#inRun = false;
        if (!this.#stopped) this.#schedule(this.#again && this.#failures === 0 ? 0 : this.#nextDelay(Date.now() - startedAt));
      });
    }, delayMs);
  }

  #nextDelay(runMs: number): number {
    const { intervalMs, maxBackoffMs = intervalMs } = this.options;
    if (this.#failures > 0) return Math.min(maxBackoffMs, intervalMs * 2 ** this.#failures);
    return this.options.fixedRate ? Math.max(0, intervalMs - runMs) : intervalMs;
  }
}
