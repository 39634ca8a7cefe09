import type { RedisClient } from '@netfleet/shared/redis/connection';
import type { AuditAction, AuditEntry, Logger } from '@netfleet/shared';
import type { HubKeys } from '../redis/keys.js';
import type { Principal } from '../registry/registry.js';

/** How a principal is named in the audit trail; tokens by an id, never by value. */
export function principalName(principal: Principal): string {
  return principal.role === 'cluster' ? `cluster:${principal.cluster}` : `${principal.role}:${principal.tokenId}`;
}

/**
 * The audit trail: every credential and rollout action, with who did it. Each is a log line
 * (the durable record, shipped with the hub's logs) and one of the last `cap` entries in
 * Redis, which the API serves. The action has happened when it is recorded, so a Redis
 * failure here is logged, not raised: the caller's answer must not say it failed.
 */
export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: HubKeys,
    private readonly cap: number,
    private readonly logger: Logger,
  ) {}

  async record(action: AuditAction, principal: Principal, target: string, now = Date.now()): Promise<void> {
    const entry = { time: now, action, principal: principalName(principal), target };
    this.logger.info({ audit: true, action, principal: entry.principal, target }, `audit: ${action} ${target} by ${entry.principal}`);
    try {
      await this.redis.multi().lpush(this.keys.audit(), JSON.stringify(entry)).ltrim(this.keys.audit(), 0, this.cap - 1).exec();
    } catch (error) {
      this.logger.warn({ err: error instanceof Error ? error.message : String(error), action, target }, 'audit entry not kept in Redis (it is in this log)');
    }
  }

  /** Newest first. */
  async list(limit: number): Promise<AuditEntry[]> {
    const raw = await this.redis.lrange(this.keys.audit(), 0, limit - 1);
    return raw.map((line) => {
      const entry = JSON.parse(line) as Omit<AuditEntry, 'time'> & { time: number };
      return { ...entry, time: new Date(entry.time).toISOString() };
    });
  }
}
