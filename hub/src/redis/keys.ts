import { DEFAULT_KEY_PREFIX } from '@netfleet/shared';

/** Index families kept as sorted sets of cluster names (score 0: ordered by name); see docs/hub-redis-keys.md. */
export type IndexKind = 'region' | 'state' | 'sync' | 'revision' | 'label';

/**
 * The one place hub Redis key names are built. Every key starts with the prefix, which is a
 * Redis Cluster hash tag (`{netfleet}`), so all keys share one slot and Lua scripts may
 * touch several of them. The Lua scripts build index keys with the same layout
 * (`includes/index.lua`); change both together.
 */
export class HubKeys {
  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    if (!/^\{[^{}]+\}$/.test(prefix)) {
      throw new Error(`key prefix must be a Redis Cluster hash tag like {netfleet}, got ${prefix}`);
    }
  }

  /** Hash: registration and state of one cluster. */
  cluster(name: string): string {
    return `${this.prefix}:cluster:${name}`;
  }

  /** Sorted set: sequence numbers recently applied for a cluster (replay window). */
  seen(name: string): string {
    return `${this.prefix}:cluster:${name}:seen`;
  }

  /** List: capped event history of a cluster, newest first. */
  events(name: string): string {
    return `${this.prefix}:cluster:${name}:events`;
  }

  /** Sorted set: every registered cluster name (score 0, ordered by name for paging). */
  clusters(): string {
    return `${this.prefix}:clusters`;
  }

  /**
   * Sorted set: clusters scored by the number of the last change link health reads (link
   * report, applied revision, revocation); `linkChanges` counts them. Written by the ingest
   * and revocation scripts (`includes/link-change.lua`).
   */
  linkChanged(): string {
    return `${this.prefix}:link-changed`;
  }

  /** String: the number of the last change noted in `linkChanged`. */
  linkChanges(): string {
    return `${this.prefix}:link-changes`;
  }

  /** Sorted set: online clusters scored by last report time (ms), for the offline sweep. */
  lastSeen(): string {
    return `${this.prefix}:last-seen`;
  }

  /** Sorted set (score 0): names of clusters whose `kind` equals `value` (labels: `value` is `key=value`). */
  index(kind: IndexKind, value: string): string {
    return `${this.prefix}:idx:${kind}:${value}`;
  }

  /** Hash: one bootstrap token (hash, expiry, uses). */
  bootstrap(id: string): string {
    return `${this.prefix}:bootstrap:${id}`;
  }

  /** Set: ids of every bootstrap token, for listing. */
  bootstrapIds(): string {
    return `${this.prefix}:bootstrap-ids`;
  }

  /** List: the last audit entries (credential and rollout actions), newest first. */
  audit(): string {
    return `${this.prefix}:audit`;
  }

  /** String (with a TTL): a push webhook delivery id already taken, so a redelivery is ignored. */
  webhookDelivery(id: string): string {
    return `${this.prefix}:webhook-delivery:${id}`;
  }

  /** String: the holder token of a lease (with a TTL). */
  lease(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }

  /** Hash: one alert by fingerprint. */
  alert(fingerprint: string): string {
    return `${this.prefix}:alert:${fingerprint}`;
  }

  /** Sorted set: alert fingerprints scored by last change (ms). */
  alerts(): string {
    return `${this.prefix}:alerts`;
  }

  /** Set: fingerprints of firing alerts. */
  firingAlerts(): string {
    return `${this.prefix}:alerts:firing`;
  }

  /** Set: fingerprints of one rule's firing alerts (update-alert-4.lua derives it from {@link firingAlerts}). */
  firingAlertsOf(rule: string): string {
    return `${this.firingAlerts()}:${rule}`;
  }

  /** Sorted set: fingerprints of resolved alerts scored by resolve time (ms): what the history cap deletes, oldest first. */
  resolvedAlerts(): string {
    return `${this.prefix}:alerts:resolved`;
  }

  /** List: capped history of alert deliveries, newest first. */
  deliveries(): string {
    return `${this.prefix}:alert-deliveries`;
  }

  /** Hash: version, phase, revision, the header JSON and the plan JSON of one rollout (earlier hubs: the whole rollout in `state`). */
  rollout(id: string): string {
    return `${this.prefix}:rollout:${id}`;
  }

  /** Hash: cluster → its progress JSON in one rollout. */
  rolloutClusters(id: string): string {
    return `${this.prefix}:rollout:${id}:clusters`;
  }

  /** List: capped notices of one rollout, newest first. */
  rolloutEvents(id: string): string {
    return `${this.prefix}:rollout:${id}:events`;
  }

  /** Sorted set: rollout ids by creation time (ms). */
  rollouts(): string {
    return `${this.prefix}:rollouts`;
  }

  /** String: id of the rollout in progress (absent when none is). */
  activeRollout(): string {
    return `${this.prefix}:rollout-active`;
  }

  /** Hash: cluster → its assignment JSON (the revision it must run). */
  assignments(): string {
    return `${this.prefix}:assignments`;
  }

  /** String: the last revision a rollout finished with every wave baked (the rollback target). */
  lastGoodRevision(): string {
    return `${this.prefix}:last-good-revision`;
  }

  /** Pub/sub channel: a cluster name each time its assignment changes; `*` when the last good revision changes. */
  assignmentChannel(): string {
    return `${this.prefix}:assignment-changed`;
  }

  /** Pub/sub channel: `cluster:<name>` or `rollout:<id>` each time one changes, for the dashboards' live updates. */
  liveChannel(): string {
    return `${this.prefix}:live-changed`;
  }

  /** String: JSON of the newest fleet repository head seen (revision, rollout policy, when). */
  fleetHead(): string {
    return `${this.prefix}:fleet-head`;
  }

  /** Pub/sub channel: the revision of each new fleet head, so the rollout leader acts at once. */
  fleetHeadChannel(): string {
    return `${this.prefix}:fleet-head-changed`;
  }
}
