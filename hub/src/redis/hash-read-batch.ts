import type { RedisClient } from '@netfleet/shared/redis/connection';

/** Most reads in one pipeline; a larger turn's reads go out in several. */
const MAX_BATCH = 500;

interface PendingRead {
  key: string;
  resolve(values: (string | null)[]): void;
  reject(error: unknown): void;
}

/**
 * `HMGET key ...fields` for many callers, gathered over one turn of the event loop and sent
 * as one pipeline: the token checks of the requests read in one turn go out in one write
 * (a system call), not a write each. Unlike ioredis's auto-pipelining, which sends a
 * connection's next pipeline only once the one before it has its replies, a batch waits
 * for no other: one whose replies a failover loses holds only its own callers, until the
 * connection's command timeout fails them. Each caller gets its own command's reply or error.
 */
export class HashReadBatch {
  private pending: PendingRead[] = [];

  constructor(private readonly redis: RedisClient, private readonly fields: readonly string[]) {}

  /** The fields' values in `key`, in the order given to the constructor (null where absent). */
  read(key: string): Promise<(string | null)[]> {
    return new Promise((resolve, reject) => {
      // The first read of a turn schedules the send after the turn's I/O callbacks have run.
      if (this.pending.push({ key, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const reads = this.pending;
    this.pending = [];
    for (let start = 0; start < reads.length; start += MAX_BATCH) this.send(reads.slice(start, start + MAX_BATCH));
  }

  private send(reads: PendingRead[]): void {
    // While the connection is not ready each read goes alone, failing or waiting as any
    // command does then (a Cluster's pipeline would wait for the cluster instead of failing).
    if (reads.length === 1 || this.redis.status !== 'ready') {
      for (const read of reads) this.redis.hmget(read.key, ...this.fields).then(read.resolve, read.reject);
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const read of reads) pipeline.hmget(read.key, ...this.fields);
    pipeline.exec().then((replies) => {
      reads.forEach((read, index) => {
        // ioredis gives each command's failure (a timeout, the connection lost) in its reply.
        const [error, values] = replies?.[index] ?? [new Error('the pipeline ended without this reply')];
        if (error) read.reject(error);
        else read.resolve(values as (string | null)[]);
      });
    }, (error: unknown) => {
      for (const read of reads) read.reject(error);
    });
  }
}
