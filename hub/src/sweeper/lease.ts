import { randomBytes } from 'node:crypto';
import type { HubScripts } from '../redis/scripts.js';

/**
 * A Redis lease: at most one holder at a time, lost when not renewed within its TTL. The
 * holder token is unique per Lease object, so a replica that lost the lease (paused, cut
 * off) cannot renew or release what another replica now holds.
 */
export class Lease {
  private readonly token: string;
  private held = false;

  constructor(
    private readonly scripts: HubScripts,
    readonly name: string,
    holder: string,
    private readonly ttlMs: number,
  ) {
    this.token = `${holder}/${randomBytes(8).toString('hex')}`;
  }

  /** Takes the lease or renews it; false when someone else holds it. */
  async acquire(): Promise<boolean> {
    this.held = await this.scripts.acquireLease(this.name, this.token, this.ttlMs);
    return this.held;
  }

  async release(): Promise<void> {
    if (this.held) await this.scripts.releaseLease(this.name, this.token);
    this.held = false;
  }

  get isHeld(): boolean {
    return this.held;
  }
}
