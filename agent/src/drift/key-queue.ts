/**
 * Runs work per key one at a time (like pepr's queue with the `kindNsName` strategy):
 * two checks of the same object never overlap, different objects run in parallel.
 * Requests for a key that already has one waiting are merged into it.
 */
export class KeyedQueue {
  readonly #running = new Map<string, Promise<void>>();
  readonly #waiting = new Map<string, Promise<void>>();

  /** Schedules `work` for `key`; resolves when a run that started after this call ends. */
  run(key: string, work: () => Promise<void>): Promise<void> {
    const waiting = this.#waiting.get(key);
    if (waiting) return waiting;
    const previous = this.#running.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.#waiting.delete(key);
      this.#running.set(key, next);
      try {
        await work();
      } finally {
        if (this.#running.get(key) === next) this.#running.delete(key);
      }
    });
    this.#waiting.set(key, next);
    return next;
  }

  /** Resolves when everything scheduled so far has run. */
  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#waiting.size > 0) {
      await Promise.allSettled([...this.#running.values(), ...this.#waiting.values()]);
    }
  }
}
