import type { Logger } from '@netfleet/shared';
import { PeriodicTask } from '../periodic-task.js';
import type { HubScripts } from '../redis/scripts.js';
import { Lease } from './lease.js';

export interface LeaderLoopOptions {
  /** Identity of this replica in the lease. */
  replicaId: string;
  /** Time to live of the lease; a dead leader is replaced after it. */
  leaseTtlMs: number;
  /** Pause between ticks. */
  intervalMs: number;
  /** The interval counts from the start of a tick (PeriodicTask's `fixedRate`). */
  fixedRate?: boolean;
}

/**
 * Work one hub replica at a time does. Every replica ticks on a timer; a tick first takes or
 * renews the named lease (`lead()`) and does the work only when it holds it. A failing tick is
 * logged and the next one tries again; closing releases the lease so another replica takes
 * over at once instead of after the TTL.
 */
export abstract class LeaderLoop<TickResult> {
  readonly #lease: Lease;
  readonly #loop: PeriodicTask;

  protected constructor(scripts: HubScripts, leaseName: string, options: LeaderLoopOptions, logger: Logger) {
    this.#lease = new Lease(scripts, leaseName, options.replicaId, options.leaseTtlMs);
    this.#loop = new PeriodicTask(() => this.tick(), {
      intervalMs: options.intervalMs, fixedRate: options.fixedRate,
      onError: (error) => logger.warn({ err: error instanceof Error ? error.message : String(error), lease: leaseName }, 'leader tick failed, retrying next tick'),
    });
  }

  /** One round of the work; does nothing but report so when another replica leads. */
  abstract tick(now?: number): Promise<TickResult>;

  get isLeader(): boolean {
    return this.#lease.isHeld;
  }

  start(): void {
    this.#loop.start();
  }

  /** Ticks now rather than at the next interval: there is new work (a replica that does not lead only tries the lease). */
  nudge(): void {
    this.#loop.runSoon();
  }

  async close(): Promise<void> {
    await this.#loop.stop();
    await this.#lease.release().catch(() => undefined);
  }

  /** Takes or renews the lease; false when another replica holds it. */
  protected lead(): Promise<boolean> {
    return this.#lease.acquire();
  }
}
