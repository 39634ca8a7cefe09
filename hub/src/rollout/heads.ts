import { subscriberConnection, type RedisClient } from '@netfleet/shared/redis/connection';
import type { Logger, RolloutPolicy } from '@netfleet/shared';
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
  constructor(private readonly redis: RedisClient, private readonly keys: HubKeys) {}

  async publish(head: FleetHead): Promise<void> {
    await this.redis.multi().set(this.keys.fleetHead(), JSON.stringify(head)).publish(this.keys.fleetHeadChannel(), head.revision).exec();
  }

  /**
   * Calls `onHead` each time any replica publishes a head, on a connection of its own
   * (re-subscribed after a reconnect; a head missed meanwhile is found by the next tick).
   */
  watch(onHead: () => void, logger: Logger): { close(): void } {
    const subscriber = subscriberConnection(this.redis);
    subscriber.on('error', (error: Error) => logger.warn({ err: error.message }, 'fleet head subscription error'));
    subscriber.on('message', () => onHead());
    subscriber.subscribe(this.keys.fleetHeadChannel()).catch((error: unknown) => {
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'cannot subscribe to fleet heads; new heads wait for the next tick');
    });
    return { close: () => subscriber.disconnect() };
  }

  async latest(): Promise<FleetHead | null> {
    const json = await this.redis.get(this.keys.fleetHead());
    return json === null ? null : (JSON.parse(json) as FleetHead);
  }
}
