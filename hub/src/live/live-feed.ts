import type { Logger } from '@netfleet/shared';
import type { RedisClient } from '@netfleet/shared/redis/connection';

/** What changed since the last notice: the dashboard reloads what shows these. */
export interface LiveChange {
  clusters: string[];
  rollouts: string[];
}

/** What changed, as `publishLiveChange` names it on the channel: `cluster:<name>` or `rollout:<id>`. */
export type LiveSubject = `cluster:${string}` | `rollout:${string}`;

/** Separates the subjects of one notice (names and ids hold no line breaks). */
const SUBJECT_SEPARATOR = '\n';

/**
 * Tells every hub replica's dashboards that clusters or rollouts changed, in one message (an
 * ingest job's clusters together); a lost notice costs only freshness.
 */
export async function publishLiveChange(redis: RedisClient, channel: string, ...subjects: LiveSubject[]): Promise<void> {
  await redis.publish(channel, subjects.join(SUBJECT_SEPARATOR)).catch(() => undefined);
}

export interface LiveFeedOptions {
  /** Most dashboards streaming from this replica at once; more are refused (bounded fan-out). */
  maxListeners: number;
  /** Changes are gathered this long and sent as one notice, so a busy fleet sends a few notices a second, not one per report. */
  flushMs: number;
}

type Listener = (change: LiveChange) => void;

/**
 * One Redis subscription per hub replica, shared by every dashboard connected to it: the
 * subscription exists only while a dashboard listens, and each gathered change is sent to at
 * most `maxListeners` streams.
 */
export class LiveFeed {
  private readonly listeners = new Set<Listener>();
  private subscriber: RedisClient | undefined;
  private pending: { clusters: Set<string>; rollouts: Set<string> } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: RedisClient, private readonly channel: string, private readonly options: LiveFeedOptions, private readonly logger: Pick<Logger, 'warn'>) {}

  /** Adds a listener; undefined when the replica already streams to `maxListeners`. Returns its removal. */
  add(listener: Listener): (() => void) | undefined {
    if (this.listeners.size >= this.options.maxListeners) return undefined;
    this.listeners.add(listener);
    this.subscribe();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.unsubscribe();
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  close(): void {
    this.listeners.clear();
    this.unsubscribe();
  }

  private subscribe(): void {
    if (this.subscriber) return;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'live feed subscription error; dashboards catch up when Redis is back'));
    subscriber.on('message', (_channel: string, message: string) => {
      for (const subject of message.split(SUBJECT_SEPARATOR)) this.gather(subject);
    });
    subscriber.subscribe(this.channel).catch((error: unknown) => {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot subscribe to live changes; retried on reconnect');
    });
  }

  private unsubscribe(): void {
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private gather(subject: string): void {
    const separator = subject.indexOf(':');
    const kind = subject.slice(0, separator);
    const name = subject.slice(separator + 1);
    this.pending ??= { clusters: new Set(), rollouts: new Set() };
    if (kind === 'cluster') this.pending.clusters.add(name);
    else if (kind === 'rollout') this.pending.rollouts.add(name);
    this.timer ??= setTimeout(() => this.flush(), this.options.flushMs);
  }

  private flush(): void {
    this.timer = undefined;
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    const change: LiveChange = { clusters: [...pending.clusters], rollouts: [...pending.rollouts] };
    for (const listener of this.listeners) listener(change);
  }
}
