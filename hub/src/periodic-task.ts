export interface PeriodicTaskOptions {
  /** Pause between the end of one run and the start of the next. */
  intervalMs: number;
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

  constructor(private readonly run: () => Promise<unknown>, private readonly options: PeriodicTaskOptions) {}

  /** Starts at once; the first run begins on the next turn of the event loop. */
  start(): void {
    this.#stopped = false;
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
      this.#running = this.run().then(
        () => { this.#failures = 0; },
        (error: unknown) => {
          this.#failures += 1;
          this.options.onError(error, this.#failures);
        },
      ).finally(() => {
        if (!this.#stopped) this.#schedule(this.#nextDelay());
      });
    }, delayMs);
  }

  #nextDelay(): number {
    const { intervalMs, maxBackoffMs = intervalMs } = this.options;
    return this.#failures === 0 ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** this.#failures);
  }
}
