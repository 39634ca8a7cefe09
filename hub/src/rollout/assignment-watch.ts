import { subscriberConnection, type RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger } from '@netfleet/shared';
import { assignmentTag, type RolloutStore, type StoredAssignment } from './store.js';

/**
 * Long-poll support for agents: `wait` resolves as soon as a cluster's assignment differs
 * from the version the agent has, woken by the store's pub/sub message (so within about a
 * second of the change), or with the unchanged assignment when the time is up. After a
 * lost subscription every waiter re-reads, so a change made meanwhile is not missed.
 */
export class AssignmentWatch {
  private readonly subscriber: RedisClient;
  private readonly wakers = new Map<string, Set<() => void>>();
  private started: Promise<unknown> | undefined;
  private closed = false;

  constructor(client: RedisClient, private readonly store: RolloutStore, private readonly logger: Logger) {
    this.subscriber = subscriberConnection(client);
    this.subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'assignment subscription error'));
    // `*`: the fleet's default changed, which is the assignment of every cluster without one.
    this.subscriber.on('message', (_channel: string, cluster: string) => (cluster === '*' ? this.wakeAll() : this.wake(cluster)));
    // Re-subscription after a reconnect is automatic; changes made while away are caught by a re-read.
    this.subscriber.on('ready', () => this.wakeAll());
  }

  /** Subscribes to assignment changes; `wait` calls it on first use. */
  start(): Promise<unknown> {
    this.started ??= this.subscriber.subscribe(this.store.keys.assignmentChannel()).catch((error: unknown) => {
      // Not subscribed: the next wait tries again.
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  /**
   * The cluster's assignment once its tag differs from `knownTag`, or after `timeoutMs`
   * (whatever it is then). `signal` ends the wait early (the client went away).
   */
  async wait(cluster: string, knownTag: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<StoredAssignment | null> {
    if (this.closed) return this.store.assignment(cluster);
    await this.start();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Listen before reading, so a change between the read and the wait still wakes us.
      const woken = this.nextWake(cluster);
      const current = await this.store.assignment(cluster);
      const remaining = deadline - Date.now();
      if ((current ? assignmentTag(current) : undefined) !== knownTag || remaining <= 0 || signal?.aborted || this.closed) {
        woken.cancel();
        return current;
      }
      const fired = await woken.within(remaining, signal);
      if (!fired) return current;
    }
  }

  /** Ends every wait with the current assignment (the hub is stopping) and any later one at once. */
  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    this.subscriber.disconnect();
  }

  private nextWake(cluster: string): { within(ms: number, signal?: AbortSignal): Promise<boolean>; cancel(): void } {
    let fire: () => void = () => undefined;
    const fired = new Promise<void>((resolve) => (fire = resolve));
    const set = this.wakers.get(cluster) ?? new Set();
    this.wakers.set(cluster, set);
    set.add(fire);
    const cancel = () => {
      set.delete(fire);
      if (set.size === 0 && this.wakers.get(cluster) === set) this.wakers.delete(cluster);
    };
    return {
      cancel,
      within: async (ms, signal) => {
        let timer: NodeJS.Timeout | undefined;
        let onAbort: (() => void) | undefined;
        const result = await Promise.race([
          fired.then(() => true),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(false), ms);
            onAbort = () => resolve(false);
            signal?.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
        clearTimeout(timer);
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        cancel();
        return result;
      },
    };
  }

  private wake(cluster: string): void {
    for (const fire of this.wakers.get(cluster) ?? []) fire();
  }

  private wakeAll(): void {
    for (const cluster of [...this.wakers.keys()]) this.wake(cluster);
  }
}
