import type { Redis } from 'ioredis';
import type { RolloutPolicy } from '@netfleet/shared';
import type { HubKeys } from '../redis/keys.js';

/** The newest revision of the fleet repository's branch, with the rollout policy it carries. */
export interface FleetHead {
  revision: string;
  /** The repository's rollout policy at that revision; null when it has none. */
  policy: RolloutPolicy | null;
  /** When the hub saw it (ms since the epoch). */
  seenAt: number;
}

/**
 * Where the repo follower (ref polling or a push webhook, on any replica) leaves the newest
 * head, and where the rollout controller (on the leader) picks it up.
 */
export class FleetHeads {
  constructor(private readonly redis: Redis, private readonly keys: HubKeys) {}

  async publish(head: FleetHead): Promise<void> {
    await this.redis.set(this.keys.fleetHead(), JSON.stringify(head));
  }

  async latest(): Promise<FleetHead | null> {
    const json = await this.redis.get(this.keys.fleetHead());
    return json === null ? null : (JSON.parse(json) as FleetHead);
  }
}
