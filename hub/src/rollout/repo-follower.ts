import type { Fleet, Logger, RolloutPolicy } from '@netfleet/shared';
import { PeriodicTask } from '../periodic-task.js';
import type { FleetRepository } from './fleet-repository.js';

export interface RepoFollowerOptions {
  /** The fleet repository; the follower reads its branch tip. */
  repository: Pick<FleetRepository, 'branch' | 'tip'>;
  /** How often the branch head is polled; webhooks make a new commit known sooner. @defaultValue 30000 */
  intervalMs?: number;
  /** The longest wait between polls after failures (the wait doubles per failure). @defaultValue 300000 */
  maxBackoffMs?: number;
}

/**
 * Follows the fleet repository's branch: polls its head with one ref listing (no fetch), at
 * once when a push webhook wakes it, and hands every new head to `onHead` once. Failures
 * (server away, auth refused) are logged and retried with backoff; the follower never stops.
 */
export class RepoFollower {
  private readonly options: Required<RepoFollowerOptions>;
  private lastHead: string | undefined;
  private readonly loop: PeriodicTask;
  private handingOn: Promise<void> = Promise.resolve();

  constructor(options: RepoFollowerOptions, private readonly onHead: (revision: string) => Promise<void>, private readonly logger: Logger) {
    this.options = { intervalMs: 30_000, maxBackoffMs: 300_000, ...options };
    this.loop = new PeriodicTask(() => this.poll(), {
      intervalMs: this.options.intervalMs,
      maxBackoffMs: this.options.maxBackoffMs,
      onError: (error, failures) => this.logger.warn({ err: error instanceof Error ? error.message : String(error), failures }, 'polling the fleet repository failed'),
    });
  }

  get ref(): string {
    return `refs/heads/${this.options.repository.branch}`;
  }

  /** Reads the branch head; hands it on when it is new. Throws a HubError when the server cannot be read. */
  async poll(): Promise<string> {
    const head = await this.options.repository.tip();
    await this.seen(head);
    return head;
  }

  /**
   * A verified push webhook for `ref`: when it is the followed branch, polls now. The commit a
   * webhook names is never taken: a replayed or late delivery names an older one, while the
   * branch tip read from the server is always the newest.
   */
  wake(ref: string): boolean {
    if (ref !== this.ref) return false;
    this.loop.runSoon();
    return true;
  }

  start(): void {
    this.loop.start();
  }

  close(): Promise<void> {
    return this.loop.stop();
  }

  /** One head at a time, in arrival order: a poll and a webhook may report heads together. */
  private seen(head: string): Promise<void> {
    const next = this.handingOn.then(async () => {
      if (head === this.lastHead) return;
      await this.onHead(head);
      this.lastHead = head;
      this.logger.info({ revision: head, branch: this.options.repository.branch }, 'new fleet repository head');
    });
    this.handingOn = next.catch(() => undefined);
    return next;
  }
}

/** The rollout policy of a fleet: the one named `default`, else the first by name; none gives null. */
export function rolloutPolicyOf(fleet: Pick<Fleet, 'rolloutPolicies'>): RolloutPolicy | null {
  const policies = fleet.rolloutPolicies;
  return policies.find((policy) => policy.name === 'default') ?? policies[0] ?? null;
}
