import { SyncStatus, type Logger, type RolloutPolicy } from '@netfleet/shared';
import { LinkState } from '@netfleet/shared/protocol/links';
import type { LinkFailure } from '../links/link-failures.js';
import { HubError, HubErrorCode } from '../errors.js';
import type { HubScripts } from '../redis/scripts.js';
import { LeaderLoop } from '../sweeper/leader-loop.js';
import { blackoutAt } from './blackout.js';
import type { ClusterObservation, FleetView } from './fleet-view.js';
import { HealthGate, REPORTED_GATES, type ReportedGate } from './gates.js';
import type { FleetHead, FleetHeads } from './heads.js';
import { rolloutIdOf } from './ids.js';
import {
  ClusterStatus, createRollout, isTerminal, reduce, reduceAll, type ClusterProgress, type Notice, type Rollout, type RolloutEvent,
} from './machine.js';
import type { RolloutAlerts } from './alerts.js';
import type { RolloutMetrics } from './metrics.js';
import { planRollout } from './plan.js';
import { CommitResult, type RolloutStore } from './store.js';

export interface RolloutControllerOptions {
  /** Identity of this replica in the lease. */
  replicaId: string;
  /** Time to live of the `rollout` lease; a dead leader is replaced after it. @defaultValue 15000 */
  leaseTtlMs?: number;
  /** How often the leader feeds the rollout in progress. @defaultValue 1000 */
  intervalMs?: number;
}


/** Used when the fleet repository has no RolloutPolicy: every cluster at once, paused on failure. */
export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = {
  name: 'default',
  waves: [{ name: 'all', selector: { all: true }, maxParallel: undefined, bakeTimeSeconds: 0, deadlineSeconds: undefined }],
  gates: { appliedAndReady: true, noNewDrift: true, noNewLinkFailures: true, noCriticalAlerts: true },
  onFailure: 'pause',
  unselectedClusters: 'lastWave',
  blackouts: undefined,
  source: { file: '', document: 'built-in default' },
};

/** What one controller tick did; for logs and tests. */
export interface ControllerTick {
  leader: boolean;
  /** The rollout the tick worked on, as it left it (null when there was none). */
  rollout: Rollout | null;
  /** Transitions committed in this tick (a tick's cluster reports and clock make one). */
  committed: number;
}

/**
 * The rollout loop, run by one replica at a time (the holder of the `rollout` lease): turns
 * a new fleet head into a rollout (superseding the one in progress), then feeds the rollout
 * with what the fleet reports and commits each transition by compare-and-set. A replica that
 * lost the lease mid-tick gets a conflict on its next commit and stops; the new leader
 * continues from what is stored, so no wave advances twice.
 */
export class RolloutController extends LeaderLoop<ControllerTick> {
  /**
   * The rollout as this replica last read or committed it. A commit always bumps the
   * version, so while the stored version is the same this copy is what is stored, and a
   * tick reads one field instead of every cluster's progress.
   */
  private known: Rollout | null = null;

  constructor(
    scripts: HubScripts,
    private readonly store: RolloutStore,
    private readonly fleet: FleetView,
    private readonly heads: FleetHeads,
    options: RolloutControllerOptions,
    private readonly logger: Logger,
    private readonly metrics?: RolloutMetrics,
    private readonly alerts?: RolloutAlerts,
  ) {
    super(scripts, 'rollout', { leaseTtlMs: 15_000, intervalMs: 1_000, ...options }, logger);
  }

  async tick(now = Date.now()): Promise<ControllerTick> {
    if (!(await this.lead())) return { leader: false, rollout: null, committed: 0 };
    const result = await this.advance(now);
    await this.alerts?.reconcile(result.rollout, now);
    return result;
  }

  private async advance(now: number): Promise<ControllerTick> {
    const counter = { committed: 0 };
    let rollout = await this.current();
    const head = await this.heads.latest();
    if (head && head.revision !== rollout?.revision && !(await this.store.exists(rolloutIdOf(head.revision)))) {
      if (rollout) {
        rollout = await this.apply(rollout, [{ type: 'superseded', byRevision: head.revision, at: now }], counter);
        if (!rollout || !isTerminal(rollout.phase)) return { leader: true, rollout, committed: counter.committed };
      }
      rollout = await this.begin(head, now, counter);
    }
    if (!rollout || isTerminal(rollout.phase)) return { leader: true, rollout, committed: counter.committed };
    const next = await this.apply(rollout, await this.eventsFor(rollout, now), counter);
    return { leader: true, rollout: next ?? rollout, committed: counter.committed };
  }

  /** The rollout in progress, read again only when its stored version is not the one known. */
  private async current(): Promise<Rollout | null> {
    const id = await this.store.activeId();
    if (id === null) return null;
    if (this.known?.id !== id || (await this.store.version(id)) !== this.known.version) this.known = await this.store.get(id);
    return this.known;
  }

  /** Creates the head's rollout, unless its revision is what the fleet already runs. */
  private async begin(head: FleetHead, now: number, counter: { committed: number }): Promise<Rollout | null> {
    const previousRevision = await this.store.lastGoodRevision();
    if (head.revision === previousRevision) return null;
    const policy = head.policy ?? DEFAULT_ROLLOUT_POLICY;
    const assignments = await this.store.assignments();
    // Clusters running a revision of a superseded rollout: a rollback covers them too.
    const carriedOver = [...assignments.values()]
      .filter((assignment) => assignment.revision !== previousRevision && assignment.revision !== head.revision)
      .map((assignment) => assignment.cluster);
    const rollout = createRollout({
      id: rolloutIdOf(head.revision), revision: head.revision, previousRevision, failurePolicy: policy.onFailure,
      policy: { name: policy.name, blackouts: policy.blackouts }, plan: planRollout(policy, await this.fleet.clusters()), carriedOver, at: now,
    });
    const result = await this.store.create(rollout);
    if (result !== CommitResult.Committed && result !== CommitResult.AlreadyCommitted) return null;
    this.known = rollout;
    counter.committed += 1;
    this.logger.info({ rollout: rollout.id, revision: rollout.revision, waves: rollout.plan.waves.length }, 'rollout created');
    return rollout;
  }

  /** Reduces the events and commits them as one transition; null when another replica moved the rollout meanwhile. */
  private async apply(rollout: Rollout, events: RolloutEvent[], counter: { committed: number }): Promise<Rollout | null> {
    const transition = reduceAll(rollout, events);
    if (!transition.changed) return rollout;
    const result = await this.store.commit(rollout.version, transition);
    if (result === CommitResult.Conflict) {
      this.logger.info({ rollout: rollout.id, version: rollout.version }, 'rollout moved on elsewhere; reloading next tick');
      this.known = null;
      return null;
    }
    this.known = transition.rollout;
    counter.committed += 1;
    for (const notice of transition.notices) this.logNotice(transition.rollout, notice);
    this.metrics?.wavesCompleted(rollout, transition.rollout);
    return transition.rollout;
  }

  private logNotice(rollout: Rollout, notice: Notice): void {
    const fields = { rollout: rollout.id, revision: rollout.revision, event: notice.kind, wave: notice.wave, cluster: notice.cluster };
    if (notice.kind === 'paused' || notice.kind === 'failed' || notice.kind === 'rolledBack' || notice.kind === 'clusterFailed') {
      this.logger.warn(fields, notice.message);
    } else {
      this.logger.info(fields, notice.message);
    }
  }

  /**
   * The events that bring the rollout up to date with the fleet and the clock. Only the
   * clusters of the current and earlier waves are observed: a later wave's clusters are
   * pending, nothing they report moves the rollout, and their online flag is brought up to
   * date on the first tick of their wave.
   */
  private async eventsFor(rollout: Rollout, now: number): Promise<RolloutEvent[]> {
    const watched = Object.entries(rollout.clusters).filter(([, progress]) => progress.wave <= rollout.wave);
    const observations = await this.fleet.observe(watched.map(([name]) => name));
    const events: RolloutEvent[] = [];
    // The window first: no report of this tick may start or widen a wave inside it.
    const blackout = blackoutAt(rollout.policy.blackouts, now);
    if (blackout.active !== rollout.blackout.active || blackout.endsAt !== rollout.blackout.endsAt) {
      events.push({ type: 'blackout', active: blackout.active, endsAt: blackout.endsAt, at: now });
    }
    const hasApplied = (cluster: string) => observations.get(cluster)?.appliedRevision === rollout.revision;
    for (const [name, progress] of watched) {
      events.push(...clusterEvents(rollout.revision, name, progress, observations.get(name), now, hasApplied));
    }
    events.push({ type: 'tick', at: now });
    return events;
  }
}

/**
 * The events that tell the reducer what changed for one cluster since it last heard.
 * `hasApplied` says whether a peer cluster runs the rollout's revision yet.
 */
export function clusterEvents(
  revision: string, cluster: string, progress: ClusterProgress, observation: ClusterObservation | undefined, at: number,
  hasApplied: (peer: string) => boolean,
): RolloutEvent[] {
  // A cluster that left the registry reports nothing any more: it counts as offline.
  const online = observation?.online ?? false;
  const events: RolloutEvent[] = [];
  if (online !== progress.online) events.push({ type: 'clusterOnline', cluster, online, at });
  if (!observation || (progress.status !== ClusterStatus.Updating && progress.status !== ClusterStatus.Ready)) return events;
  // Only a terminal failure fails the cluster: a progressing sync or a transient failure is
  // retried by the agent, and the wave waits for it up to its deadline.
  const sync = observation.sync;
  if (sync && sync.status === SyncStatus.FailedTerminal && sync.revision === revision && sync.at >= (progress.assignedAt ?? 0)) {
    return [...events, { type: 'clusterFailed', cluster, revision, reason: `${sync.reason}: ${sync.error || 'sync failed'}`, at }];
  }
  const applied = observation.appliedRevision === revision;
  if (applied && !progress.applied) events.push({ type: 'clusterApplied', cluster, revision, at });
  if (applied && observation.ready !== progress.ready) events.push({ type: 'clusterReady', cluster, revision, ready: observation.ready, at });
  const linkFailures = newLinkFailures(cluster, observation.linkFailures, progress.assignedAt, hasApplied);
  const passing: Record<ReportedGate, boolean> = {
    noNewDrift: !(applied && observation.driftCount > 0),
    noNewLinkFailures: linkFailures.length === 0,
    noCriticalAlerts: observation.criticalAlerts === 0,
  };
  for (const gate of REPORTED_GATES) {
    const detail = gate === HealthGate.NoNewLinkFailures && linkFailures.length > 0 ? describeLinkFailures(linkFailures) : undefined;
    // A failing gate is reported again when what it names changes (another link fails).
    if (passing[gate] === progress.gates[gate] && (passing[gate] || detail === progress.gateDetails?.[gate])) continue;
    events.push({ type: 'gate', cluster, gate, passing: passing[gate], ...(detail ? { detail } : {}), at });
  }
  return events;
}

/**
 * The link failures that began after the cluster got the revision. A one-sided link to or
 * from a peer that does not run the revision yet is the rollout itself on its way (a link
 * the revision adds, or one it removes, exists on one side only until the peer's wave),
 * so it does not count.
 */
export function newLinkFailures(cluster: string, failures: readonly LinkFailure[], assignedAt: number | null, hasApplied: (peer: string) => boolean): LinkFailure[] {
  if (assignedAt === null) return [];
  return failures.filter((failure) => {
    if (failure.since < assignedAt) return false;
    const peer = failure.from === cluster ? failure.to : failure.from;
    return !(failure.state === LinkState.OneSided && !hasApplied(peer));
  });
}

function describeLinkFailures(failures: readonly LinkFailure[]): string {
  const shown = failures.slice(0, 3).map((failure) => `${failure.from}→${failure.to} ${failure.state}`).join(', ');
  return failures.length > 3 ? `${shown} and ${failures.length - 3} more` : shown;
}

/** A person's control of a rollout, applied from the API on any replica. */
export type RolloutControl = Extract<RolloutEvent, { type: 'pause' | 'resume' | 'abort' | 'rollback' | 'promote' | 'retry' }>;

/**
 * Applies a control by compare-and-set, reloading on a conflict with the controller.
 * Returns the rollout after the control, or why it was refused; null when there is no such rollout.
 */
export async function applyControl(store: RolloutStore, id: string, control: RolloutControl, attempts = 5): Promise<{ rollout: Rollout; refused?: string } | null> {
  for (let attempt = 1; ; attempt++) {
    const rollout = await store.get(id);
    if (!rollout) return null;
    const transition = reduce(rollout, control);
    if (!transition.changed) return { rollout, ...(transition.refused === undefined ? {} : { refused: transition.refused }) };
    const result = await store.commit(rollout.version, transition);
    if (result !== CommitResult.Conflict) return { rollout: transition.rollout };
    if (attempt >= attempts) {
      throw new HubError(HubErrorCode.RolloutBusy, `rollout ${id} kept changing; ${control.type} not applied after ${attempts} attempts`, { hint: 'try again' });
    }
  }
}
