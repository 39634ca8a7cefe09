import { HealthGate, REPORTED_GATES, type ReportedGate } from './gates.js';
import type { Blackouts } from './blackout.js';
import type { PlannedWave, RolloutPlan } from './plan.js';

/**
 * The rollout state machine as a pure reducer: `reduce(rollout, event)` returns the next
 * rollout and the effects (assignments, notable events) the controller must carry out.
 * Time only comes in with events (`at`), so the same events always give the same result.
 * See docs/rollouts.md for the states, events and transitions.
 */

export const RolloutPhase = {
  /** Created; waits for the first tick outside a blackout window. */
  Pending: 'pending',
  /** Giving the current wave's clusters the revision, at most maxParallel at a time, until all pass the gates. */
  Progressing: 'progressing',
  /** Every cluster of the current wave passed; watching them for the bake time. */
  Baking: 'baking',
  /** Held by a person or by the pause failure policy; nothing new is assigned. */
  Paused: 'paused',
  /** A failure the failure policy could not handle (rollback with no earlier revision); needs a person. */
  Failed: 'failed',
  /** Every wave baked. Terminal. */
  Done: 'done',
  /** Every cluster that got the revision was given the last fully rolled-out one. Terminal. */
  RolledBack: 'rolledBack',
  /** Stopped by a person; clusters keep what they have. Terminal. */
  Aborted: 'aborted',
  /** A newer revision took over. Terminal. */
  Superseded: 'superseded',
} as const;
export type RolloutPhase = (typeof RolloutPhase)[keyof typeof RolloutPhase];

export const TERMINAL_PHASES: readonly RolloutPhase[] = [RolloutPhase.Done, RolloutPhase.RolledBack, RolloutPhase.Aborted, RolloutPhase.Superseded];

export function isTerminal(phase: RolloutPhase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

export const ClusterStatus = {
  /** Not given the revision yet (or queued again for a retry). */
  Pending: 'pending',
  /** Given the revision; not applied and ready yet. Counts against maxParallel. */
  Updating: 'updating',
  /** Applied the revision and reported ready. */
  Ready: 'ready',
  /** Failed to apply, or failed a gate while its wave baked or after. */
  Failed: 'failed',
  /** Given the last fully rolled-out revision back. */
  RolledBack: 'rolledBack',
} as const;
export type ClusterStatus = (typeof ClusterStatus)[keyof typeof ClusterStatus];

/** What holds a wave: a gate some clusters do not pass, or a condition of the whole rollout. */
export const HoldReason = {
  ...HealthGate,
  /** Clusters that report nothing (offline) cannot pass any gate. */
  Online: 'online',
  /** A blackout window is open; nothing new is assigned and no wave advances. */
  Blackout: 'blackout',
  /** Every slot of maxParallel is taken; the rest of the wave waits. */
  MaxParallel: 'maxParallel',
} as const;
export type HoldReason = (typeof HoldReason)[keyof typeof HoldReason];

export interface Hold {
  reason: HoldReason;
  /** The clusters that do not pass (empty for blackout). */
  clusters: string[];
  /** When the hold lifts by itself, if known (blackout end). */
  until: number | null;
}

export interface ClusterProgress {
  /** Index of the wave the cluster belongs to. */
  wave: number;
  status: ClusterStatus;
  /** How often the revision was assigned to the cluster (a retry assigns it again). */
  attempt: number;
  /** When the latest attempt was assigned; reports older than this are about an earlier attempt. */
  assignedAt: number | null;
  /** The cluster applied this rollout's revision (of the latest attempt). */
  applied: boolean;
  /** The cluster reports its objects ready (only required when the policy checks applied+ready). */
  ready: boolean;
  online: boolean;
  /** The gates the cluster reports on, true while passing. */
  gates: Record<ReportedGate, boolean>;
  /** What a failing gate names (the links that fail), while it fails. */
  gateDetails?: Partial<Record<ReportedGate, string>>;
  /** Why it failed or was rolled back. */
  reason: string | null;
}

export interface WaveTiming {
  startedAt: number | null;
  bakeStartedAt: number | null;
  completedAt: number | null;
}

export interface Rollout {
  id: string;
  revision: string;
  /** The last fully rolled-out revision: what a rollback assigns. Null for the first rollout. */
  previousRevision: string | null;
  failurePolicy: 'pause' | 'rollback';
  /** The policy the rollout was planned from: its name, and the blackout windows the controller checks. */
  policy: { name: string; blackouts: Blackouts | undefined };
  plan: RolloutPlan;
  phase: RolloutPhase;
  /** Index of the current wave (equal to the number of waves once done). */
  wave: number;
  /** In plan order (wave by wave, as planned): slots are given and holds listed in this order. */
  clusters: Record<string, ClusterProgress>;
  /**
   * Clusters that received a revision of a rollout this one superseded; a rollback gives
   * them the previous revision too, since what they run never finished a rollout.
   */
  carriedOver: string[];
  waves: WaveTiming[];
  /** When the current wave fails unless every cluster passed its gates. */
  deadlineAt: number | null;
  blackout: { active: boolean; endsAt: number | null };
  /** The phase a pause interrupted, to resume into. */
  pausedFrom: RolloutPhase | null;
  hold: Hold | null;
  /** Why the rollout is paused, failed, rolled back, aborted or superseded. */
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every transition; the store's compare-and-set checks it. */
  version: number;
}

/** A rollout without its clusters' progress: what lists and alerts read, and what is stored apart from the per-cluster hash. */
export type RolloutHeader = Omit<Rollout, 'clusters'>;

interface At {
  /** When the event happened (ms since the epoch). */
  at: number;
}

export type RolloutEvent = At & (
  | { type: 'tick' }
  | { type: 'clusterApplied'; cluster: string; revision: string }
  | { type: 'clusterReady'; cluster: string; revision: string; ready: boolean }
  | { type: 'clusterFailed'; cluster: string; revision: string; reason: string }
  | { type: 'clusterOnline'; cluster: string; online: boolean }
  | { type: 'gate'; cluster: string; gate: ReportedGate; passing: boolean; detail?: string }
  | { type: 'blackout'; active: boolean; endsAt: number | null }
  | { type: 'pause'; reason: string }
  | { type: 'resume' }
  | { type: 'abort'; reason: string }
  | { type: 'rollback'; reason: string }
  | { type: 'promote' }
  | { type: 'retry'; cluster: string }
  | { type: 'superseded'; byRevision: string }
);
export type RolloutEventType = RolloutEvent['type'];

/** Give `cluster` this revision; `attempt` changes on a retry so the agent applies again. */
export interface Assignment {
  cluster: string;
  revision: string;
  rolloutId: string;
  attempt: number;
  reason: string;
}

export const RolloutNotice = {
  Started: 'started',
  WaveStarted: 'waveStarted',
  WaveBaking: 'waveBaking',
  WaveAdvanced: 'waveAdvanced',
  ClusterFailed: 'clusterFailed',
  Paused: 'paused',
  Resumed: 'resumed',
  Failed: 'failed',
  RolledBack: 'rolledBack',
  Aborted: 'aborted',
  Superseded: 'superseded',
  Done: 'done',
} as const;
export type RolloutNotice = (typeof RolloutNotice)[keyof typeof RolloutNotice];

export interface Notice {
  kind: RolloutNotice;
  message: string;
  wave?: number;
  cluster?: string;
}

export interface Transition {
  rollout: Rollout;
  /** False when the event changed nothing (ignored or already applied). */
  changed: boolean;
  /** The clusters whose progress changed, in no particular order: all the store writes of them. */
  changedClusters: string[];
  assignments: Assignment[];
  notices: Notice[];
  /** Why a control was refused (nothing changed); undefined otherwise. */
  refused?: string;
}

export interface NewRollout {
  id: string;
  revision: string;
  previousRevision: string | null;
  failurePolicy: 'pause' | 'rollback';
  policy: Rollout['policy'];
  plan: RolloutPlan;
  carriedOver?: string[];
  at: number;
}

export function createRollout(input: NewRollout): Rollout {
  const clusters: Record<string, ClusterProgress> = {};
  input.plan.waves.forEach((wave, index) => {
    for (const name of wave.clusters) {
      clusters[name] = {
        wave: index, status: ClusterStatus.Pending, attempt: 0, assignedAt: null, applied: false, ready: false, online: true,
        gates: Object.fromEntries(REPORTED_GATES.map((gate) => [gate, true])) as Record<ReportedGate, boolean>,
        reason: null,
      };
    }
  });
  return {
    id: input.id, revision: input.revision, previousRevision: input.previousRevision, failurePolicy: input.failurePolicy,
    policy: input.policy, plan: input.plan, phase: RolloutPhase.Pending, wave: 0, clusters, carriedOver: [...(input.carriedOver ?? [])].sort(),
    waves: input.plan.waves.map(() => ({ startedAt: null, bakeStartedAt: null, completedAt: null })),
    deadlineAt: null, blackout: { active: false, endsAt: null }, pausedFrom: null, hold: null, reason: null,
    createdAt: input.at, updatedAt: input.at, version: 0,
  };
}

/** Applies one event. Never mutates `rollout`; an event that changes nothing returns it as is. */
export function reduce(rollout: Rollout, event: RolloutEvent): Transition {
  const draft = new Draft(rollout);
  const refused = draft.apply(event);
  const changedClusters = draft.changedClusters();
  const changed = refused === undefined && (changedClusters.length > 0 || !sameHeader(rollout, draft.rollout));
  if (!changed) return unchanged(rollout, refused);
  return draft.transition(rollout.version + 1, event.at, changedClusters);
}

/**
 * Applies events in order, with the same result as `reduce` one event after the other,
 * as one transition: one copy, one comparison and one version for the batch (the
 * controller's events of one tick). Refused events change nothing and are skipped.
 * The copy is shallow: a cluster's progress is copied when an event first changes it, so
 * a tick of a large fleet costs its events, not the fleet's size in copies and comparisons.
 */
export function reduceAll(rollout: Rollout, events: readonly RolloutEvent[]): Transition {
  const draft = new Draft(rollout);
  for (const event of events) draft.apply(event);
  const last = events.at(-1);
  const changedClusters = draft.changedClusters();
  // Effects without a net change (a pause undone in the same batch) still count.
  const effects = draft.assignments.length + draft.notices.length;
  if (!last || (effects === 0 && changedClusters.length === 0 && sameHeader(rollout, draft.rollout))) return unchanged(rollout);
  return draft.transition(rollout.version + 1, last.at, changedClusters);
}

function unchanged(rollout: Rollout, refused?: string): Transition {
  return { rollout, changed: false, changedClusters: [], assignments: [], notices: [], ...(refused === undefined ? {} : { refused }) };
}

/** The rollout without clusters, plan (never changed by an event) and update time, for comparisons. */
function comparableHeader(rollout: Rollout): string {
  const { clusters: _clusters, plan: _plan, updatedAt: _updatedAt, ...rest } = rollout;
  return JSON.stringify(rest);
}

function sameHeader(a: Rollout, b: Rollout): boolean {
  return comparableHeader(a) === comparableHeader(b);
}

/** The number of clusters the rollout is updating now (given the revision, not yet ready). */
export function updatingCount(rollout: Rollout): number {
  return Object.values(rollout.clusters).filter((cluster) => cluster.status === ClusterStatus.Updating).length;
}

/**
 * A copy of a rollout being moved by events, collecting their effects. The header is
 * copied whole (it is small); the clusters' record is copied shallowly and each cluster's
 * progress on its first change (`edit`), so the original rollout is never mutated.
 */
class Draft {
  readonly assignments: Assignment[] = [];
  readonly notices: Notice[] = [];
  readonly rollout: Rollout;

  /** The time of the event being applied. */
  private at = 0;
  /** Which clusters hold the current wave and why, kept up to date as clusters change. */
  private readonly holds: WaveHolds;
  /** The clusters whose progress was copied to be changed. */
  private readonly edited = new Set<string>();

  constructor(private readonly original: Rollout) {
    const { clusters, plan, ...header } = original;
    this.rollout = { ...structuredClone(header), plan, clusters: { ...clusters } };
    this.holds = new WaveHolds(this.rollout);
  }

  /** The edited clusters whose progress differs from the original's. */
  changedClusters(): string[] {
    return [...this.edited].filter((name) => JSON.stringify(this.original.clusters[name]) !== JSON.stringify(this.rollout.clusters[name]));
  }

  transition(version: number, at: number, changedClusters: string[]): Transition {
    this.rollout.version = version;
    this.rollout.updatedAt = at;
    return { rollout: this.rollout, changed: true, changedClusters, assignments: this.assignments, notices: this.notices };
  }

  /** The cluster's progress, copied on its first change so the original stays as it was. */
  private edit(name: string): ClusterProgress {
    const cluster = this.rollout.clusters[name]!;
    if (this.edited.has(name)) return cluster;
    const copy = structuredClone(cluster);
    this.rollout.clusters[name] = copy;
    this.edited.add(name);
    return copy;
  }

  /** Applies one event and moves the rollout as far as it can; returns why a control is refused. */
  apply(event: RolloutEvent): string | undefined {
    if (isTerminal(this.rollout.phase)) return `the rollout is ${this.rollout.phase}`;
    this.at = event.at;
    const refused = this.handle(event);
    if (refused === undefined && !isTerminal(this.rollout.phase)) this.settle();
    return refused;
  }

  /** Applies the event; returns why a control is refused, or undefined. */
  private handle(event: RolloutEvent): string | undefined {
    const rollout = this.rollout;
    switch (event.type) {
      case 'tick':
        return undefined;
      case 'clusterApplied':
      case 'clusterReady':
      case 'clusterFailed':
      case 'clusterOnline':
      case 'gate':
        this.observe(event);
        return undefined;
      case 'blackout':
        // The deadline does not run during a blackout: the wave gets a fresh one when it ends.
        if (rollout.blackout.active && !event.active && rollout.phase === RolloutPhase.Progressing) {
          rollout.deadlineAt = deadlineOf(rollout.plan.waves[rollout.wave]!, event.at);
        }
        rollout.blackout = { active: event.active, endsAt: event.active ? event.endsAt : null };
        return undefined;
      case 'pause':
        if (!isRunning(rollout.phase)) return `only a pending, progressing or baking rollout can be paused, this one is ${rollout.phase}`;
        this.pause(event.reason);
        return undefined;
      case 'resume':
        if (rollout.phase !== RolloutPhase.Paused && rollout.phase !== RolloutPhase.Failed) return `only a paused or failed rollout can be resumed, this one is ${rollout.phase}`;
        this.resume();
        return undefined;
      case 'abort':
        this.finish(RolloutPhase.Aborted, RolloutNotice.Aborted, event.reason);
        return undefined;
      case 'rollback':
        if (rollout.previousRevision === null) return 'there is no earlier fully rolled-out revision to roll back to';
        this.rollBack(event.reason);
        return undefined;
      case 'promote':
        if (rollout.phase !== RolloutPhase.Baking) return `only a baking wave can be promoted, the rollout is ${rollout.phase}`;
        if (rollout.blackout.active) return 'a blackout window is open; no wave advances until it ends';
        this.advance('promoted');
        return undefined;
      case 'retry': {
        if (rollout.clusters[event.cluster]?.status !== ClusterStatus.Failed) return `cluster ${event.cluster} has not failed in this rollout`;
        // Queued, not assigned: settle gives it a slot as soon as maxParallel allows.
        const cluster = this.edit(event.cluster);
        cluster.status = ClusterStatus.Pending;
        cluster.reason = null;
        this.holds.refresh(event.cluster);
        return undefined;
      }
      case 'superseded':
        this.finish(RolloutPhase.Superseded, RolloutNotice.Superseded, `superseded by revision ${event.byRevision}`);
        return undefined;
    }
  }

  /** Records what a cluster reported and applies the failure policy when it is a failure. */
  private observe(event: Extract<RolloutEvent, { cluster: string }>): void {
    if (!this.rollout.clusters[event.cluster]) return;
    if ('revision' in event && event.revision !== this.rollout.revision) return;
    const cluster = this.edit(event.cluster);
    switch (event.type) {
      case 'clusterApplied':
        cluster.applied = true;
        break;
      case 'clusterReady':
        cluster.ready = event.ready;
        break;
      case 'clusterOnline':
        cluster.online = event.online;
        break;
      case 'gate': {
        cluster.gates[event.gate] = event.passing;
        const { [event.gate]: _previous, ...others } = cluster.gateDetails ?? {};
        const details = !event.passing && event.detail ? { ...others, [event.gate]: event.detail } : others;
        if (Object.keys(details).length > 0) cluster.gateDetails = details;
        else delete cluster.gateDetails;
        break;
      }
      case 'clusterFailed':
        if (cluster.status === ClusterStatus.Updating || cluster.status === ClusterStatus.Ready) {
          cluster.applied = false;
          this.failCluster(event.cluster, `failed to apply: ${event.reason}`);
        }
        return;
    }
    if (cluster.status === ClusterStatus.Updating && isUpdated(cluster, this.rollout.plan.waves[cluster.wave]!)) cluster.status = ClusterStatus.Ready;
    this.holds.refresh(event.cluster);
    this.checkWatchedGates(event.cluster, event.type === 'gate' ? event : undefined);
  }

  /**
   * A cluster of a finished wave, or of the baking wave, that stops passing a gate has
   * failed: it already counted as healthy, so this is the revision going bad.
   */
  private checkWatchedGates(name: string, gateEvent?: { gate: ReportedGate; detail?: string }): void {
    const rollout = this.rollout;
    const cluster = rollout.clusters[name]!;
    if (cluster.status !== ClusterStatus.Ready || !cluster.online) return;
    const baking = rollout.phase === RolloutPhase.Baking || (rollout.phase === RolloutPhase.Paused && rollout.pausedFrom === RolloutPhase.Baking);
    const watched = cluster.wave < rollout.wave || (cluster.wave === rollout.wave && baking);
    if (!watched) return;
    const failing = failingGate(cluster, rollout.plan.waves[cluster.wave]!);
    if (!failing) return;
    const detail = gateEvent?.gate === failing && gateEvent.detail ? `: ${gateEvent.detail}` : '';
    this.failCluster(name, `gate ${failing} failed after the cluster passed${detail}`);
  }

  private failCluster(name: string, reason: string): void {
    const cluster = this.edit(name);
    cluster.status = ClusterStatus.Failed;
    cluster.reason = reason;
    this.holds.refresh(name);
    this.notices.push({ kind: RolloutNotice.ClusterFailed, message: `cluster ${name}: ${reason}`, wave: cluster.wave, cluster: name });
    this.applyFailurePolicy(`cluster ${name} ${reason}`);
  }

  private applyFailurePolicy(reason: string): void {
    const rollout = this.rollout;
    if (rollout.phase === RolloutPhase.Failed) {
      rollout.reason = reason;
    } else if (rollout.failurePolicy === 'rollback') {
      if (rollout.previousRevision !== null) this.rollBack(reason);
      else this.fail(`${reason}; no earlier fully rolled-out revision to roll back to`);
    } else if (rollout.phase === RolloutPhase.Paused) {
      rollout.reason = reason;
    } else {
      this.pause(reason);
    }
  }

  private pause(reason: string): void {
    const rollout = this.rollout;
    rollout.pausedFrom = rollout.phase;
    rollout.phase = RolloutPhase.Paused;
    rollout.reason = reason;
    rollout.deadlineAt = null;
    this.notices.push({ kind: RolloutNotice.Paused, message: `paused: ${reason}`, wave: rollout.wave });
  }

  private fail(reason: string): void {
    const rollout = this.rollout;
    rollout.pausedFrom = rollout.phase === RolloutPhase.Paused ? rollout.pausedFrom : rollout.phase;
    rollout.phase = RolloutPhase.Failed;
    rollout.reason = reason;
    rollout.deadlineAt = null;
    this.notices.push({ kind: RolloutNotice.Failed, message: `failed: ${reason}`, wave: rollout.wave });
  }

  /** Failed clusters are queued again; the wave gets a fresh deadline and a full bake. */
  private resume(): void {
    const rollout = this.rollout;
    for (const [name, progress] of Object.entries(rollout.clusters)) {
      if (progress.status !== ClusterStatus.Failed) continue;
      const cluster = this.edit(name);
      cluster.status = ClusterStatus.Pending;
      cluster.reason = null;
    }
    this.holds.rebuild();
    if (rollout.pausedFrom === RolloutPhase.Pending) {
      rollout.phase = RolloutPhase.Pending;
    } else {
      rollout.phase = RolloutPhase.Progressing;
      rollout.deadlineAt = deadlineOf(rollout.plan.waves[rollout.wave]!, this.at);
    }
    rollout.pausedFrom = null;
    rollout.reason = null;
    this.notices.push({ kind: RolloutNotice.Resumed, message: 'resumed', wave: rollout.wave });
  }

  private rollBack(reason: string): void {
    const rollout = this.rollout;
    const target = rollout.previousRevision!;
    const touched = new Set(rollout.carriedOver);
    for (const [name, cluster] of Object.entries(rollout.clusters)) {
      if (cluster.attempt > 0) touched.add(name);
    }
    const changed: string[] = [];
    for (const name of [...touched].sort()) {
      const cluster = rollout.clusters[name] && this.edit(name);
      if (cluster) {
        cluster.status = ClusterStatus.RolledBack;
        cluster.reason = reason;
        changed.push(name);
      }
      this.assignments.push({ cluster: name, revision: target, rolloutId: rollout.id, attempt: (cluster?.attempt ?? 0) + 1, reason: `rollback: ${reason}` });
    }
    this.holds.refreshAll(changed);
    this.finish(RolloutPhase.RolledBack, RolloutNotice.RolledBack, reason);
  }

  private finish(phase: RolloutPhase, kind: RolloutNotice, reason: string | null): void {
    const rollout = this.rollout;
    rollout.phase = phase;
    rollout.reason = reason;
    rollout.deadlineAt = null;
    rollout.hold = null;
    rollout.pausedFrom = null;
    this.notices.push({ kind, message: reason === null ? phase : `${phase}: ${reason}`, wave: rollout.wave });
  }

  /** Moves a running rollout as far as the current facts allow. */
  private settle(): void {
    const rollout = this.rollout;
    for (let guard = 0; guard <= rollout.plan.waves.length + 1; guard++) {
      if (rollout.phase === RolloutPhase.Pending) {
        if (rollout.blackout.active) {
          rollout.hold = blackoutHold(rollout);
          return;
        }
        this.notices.push({ kind: RolloutNotice.Started, message: `rollout of ${rollout.revision} started` });
        this.startWave(0);
        continue;
      }
      if (rollout.phase === RolloutPhase.Progressing) {
        if (!this.progress()) return;
        continue;
      }
      if (rollout.phase === RolloutPhase.Baking) {
        if (!this.bake()) return;
        continue;
      }
      return;
    }
  }

  private startWave(index: number): void {
    const rollout = this.rollout;
    rollout.wave = index;
    if (index >= rollout.plan.waves.length) {
      this.finish(RolloutPhase.Done, RolloutNotice.Done, null);
      return;
    }
    rollout.phase = RolloutPhase.Progressing;
    rollout.deadlineAt = deadlineOf(rollout.plan.waves[index]!, this.at);
    rollout.waves[index]!.startedAt = this.at;
    this.holds.rebuild();
    this.notices.push({ kind: RolloutNotice.WaveStarted, message: `wave ${rollout.plan.waves[index]!.name} started`, wave: index });
  }

  /** Progressing: assign within maxParallel, then bake once the wave passes. True when the phase moved on. */
  private progress(): boolean {
    const rollout = this.rollout;
    const wave = rollout.plan.waves[rollout.wave]!;
    if (!rollout.blackout.active) this.assignFreeSlots(wave.maxParallel);
    const held = this.waveHold();
    if (!held) {
      if (rollout.blackout.active) {
        rollout.hold = blackoutHold(rollout);
        return false;
      }
      rollout.hold = null;
      if (wave.clusters.length === 0 || wave.bakeTimeMs === 0) {
        this.advance('passed its gates');
        return true;
      }
      rollout.phase = RolloutPhase.Baking;
      rollout.deadlineAt = null;
      rollout.waves[rollout.wave]!.bakeStartedAt = this.at;
      this.notices.push({ kind: RolloutNotice.WaveBaking, message: `wave ${wave.name} passed its gates, baking`, wave: rollout.wave });
      return true;
    }
    if (!rollout.blackout.active && rollout.deadlineAt !== null && this.at >= rollout.deadlineAt) {
      this.applyFailurePolicy(`wave ${wave.name} missed its deadline, held by ${held.reason} on ${held.clusters.join(', ')}`);
      return false;
    }
    rollout.hold = rollout.blackout.active && held.reason === HoldReason.MaxParallel ? blackoutHold(rollout) : held;
    return false;
  }

  /** Baking: a cluster that went offline sends the wave back to progressing; time done advances. */
  private bake(): boolean {
    const rollout = this.rollout;
    const wave = rollout.plan.waves[rollout.wave]!;
    const held = this.waveHold();
    if (held) {
      // Only offline (or a queued retry) can hold a baking wave: a failing gate failed the cluster.
      rollout.phase = RolloutPhase.Progressing;
      rollout.deadlineAt = deadlineOf(wave, this.at);
      rollout.waves[rollout.wave]!.bakeStartedAt = null;
      rollout.hold = held;
      return false;
    }
    const bakedAt = rollout.waves[rollout.wave]!.bakeStartedAt! + wave.bakeTimeMs;
    if (this.at < bakedAt) {
      rollout.hold = null;
      return false;
    }
    if (rollout.blackout.active) {
      rollout.hold = blackoutHold(rollout);
      return false;
    }
    this.advance('baked');
    return true;
  }

  private advance(how: string): void {
    const rollout = this.rollout;
    const wave = rollout.plan.waves[rollout.wave]!;
    rollout.waves[rollout.wave]!.completedAt = this.at;
    rollout.hold = null;
    this.notices.push({ kind: RolloutNotice.WaveAdvanced, message: `wave ${wave.name} ${how}`, wave: rollout.wave });
    this.startWave(rollout.wave + 1);
  }

  /** Gives pending clusters of the current or earlier waves the revision while slots are free. */
  private assignFreeSlots(maxParallel: number): void {
    const rollout = this.rollout;
    const free = maxParallel - this.holds.updating;
    // Pending clusters of the current and earlier waves are what the maxParallel hold names.
    const assigned = this.holds.clusters(HoldReason.MaxParallel).slice(0, Math.max(0, free));
    for (const name of assigned) {
      const cluster = this.edit(name);
      cluster.status = ClusterStatus.Updating;
      cluster.attempt += 1;
      cluster.assignedAt = this.at;
      cluster.applied = false;
      cluster.ready = false;
      this.assignments.push({
        cluster: name, revision: rollout.revision, rolloutId: rollout.id, attempt: cluster.attempt,
        reason: `wave ${rollout.plan.waves[cluster.wave]!.name}`,
      });
    }
    this.holds.refreshAll(assigned);
  }

  /**
   * The first thing keeping the current wave from passing, or null when it passes. Besides
   * the wave's own clusters, a cluster of an earlier wave that is not ready (a retry) holds it.
   */
  private waveHold(): Hold | null {
    const reason = this.holds.first();
    return reason === null ? null : { reason, clusters: this.holds.clusters(reason), until: null };
  }
}

/** What holds a wave, in the order it is checked. */
const HOLD_ORDER: readonly HoldReason[] = [HoldReason.Online, HoldReason.AppliedAndReady, ...REPORTED_GATES, HoldReason.MaxParallel];
const NOT_HELD = -1;
/** Above this many changed clusters, recomputing all of them is cheaper than one by one. */
const REBUILD_ABOVE = 100;

/**
 * The members of the current wave (its clusters, and clusters of earlier waves that are
 * not ready) by the first reason in HOLD_ORDER that holds each, in plan order. The reducer
 * settles after every event of a batch; keeping this up to date per changed cluster, rather
 * than walking the fleet each time, keeps a tick of a large fleet linear in its events.
 * Every change of a cluster's status, readiness, gates or online flag is followed by
 * `refresh`, and every change of the current wave by `rebuild`.
 */
class WaveHolds {
  /** Clusters in plan order and their positions in it. */
  private readonly names: string[];
  private readonly positions = new Map<string, number>();
  /** Per position: the HOLD_ORDER index holding the cluster, or NOT_HELD. */
  private readonly held: Int8Array;
  /** Per HOLD_ORDER index: the positions it holds, ascending. */
  private readonly byReason: number[][] = HOLD_ORDER.map(() => []);
  /** Per position: whether the cluster is updating (counts against maxParallel). */
  private readonly updatingAt: Uint8Array;
  /** Clusters given the revision and not yet ready, in every wave. */
  updating = 0;

  constructor(private readonly rollout: Rollout) {
    this.names = Object.keys(rollout.clusters);
    this.names.forEach((name, position) => this.positions.set(name, position));
    this.held = new Int8Array(this.names.length).fill(NOT_HELD);
    this.updatingAt = new Uint8Array(this.names.length);
    this.rebuild();
  }

  /** Recomputes every cluster (the current wave changed, or many clusters did). */
  rebuild(): void {
    for (const list of this.byReason) list.length = 0;
    this.updating = 0;
    this.names.forEach((name, position) => {
      const cluster = this.rollout.clusters[name]!;
      const reason = this.reasonOf(cluster);
      this.held[position] = reason;
      if (reason !== NOT_HELD) this.byReason[reason]!.push(position);
      this.updatingAt[position] = cluster.status === ClusterStatus.Updating ? 1 : 0;
      this.updating += this.updatingAt[position]!;
    });
  }

  /**
   * Recomputes the clusters that changed: one by one when they are few, else all at once,
   * as each refresh moves list entries at a cost of the wave's size (a wave of 100,000
   * assigned in one tick took seconds one by one).
   */
  refreshAll(names: readonly string[]): void {
    if (names.length > REBUILD_ABOVE) this.rebuild();
    else for (const name of names) this.refresh(name);
  }

  /** Recomputes one cluster after it changed. */
  refresh(name: string): void {
    const position = this.positions.get(name);
    if (position === undefined) return;
    const cluster = this.rollout.clusters[name]!;
    const updating = cluster.status === ClusterStatus.Updating ? 1 : 0;
    this.updating += updating - this.updatingAt[position]!;
    this.updatingAt[position] = updating;
    const before = this.held[position]!;
    const after = this.reasonOf(cluster);
    if (before === after) return;
    this.held[position] = after;
    if (before !== NOT_HELD) {
      const list = this.byReason[before]!;
      list.splice(sortedIndex(list, position), 1);
    }
    if (after !== NOT_HELD) {
      const list = this.byReason[after]!;
      list.splice(sortedIndex(list, position), 0, position);
    }
  }

  /** The first reason that holds any member, or null when the wave passes. */
  first(): HoldReason | null {
    const index = this.byReason.findIndex((list) => list.length > 0);
    return index === -1 ? null : HOLD_ORDER[index]!;
  }

  /** The members held by `reason` first, in plan order. */
  clusters(reason: HoldReason): string[] {
    return this.byReason[HOLD_ORDER.indexOf(reason)]!.map((position) => this.names[position]!);
  }

  /** The HOLD_ORDER index of the first reason that holds the cluster, NOT_HELD when none does or it is no member. */
  private reasonOf(cluster: ClusterProgress): number {
    const current = this.rollout.wave;
    const member = cluster.wave === current || (cluster.wave < current && cluster.status !== ClusterStatus.Ready);
    if (!member) return NOT_HELD;
    const wave = this.rollout.plan.waves[cluster.wave]!;
    if (!cluster.online && cluster.status !== ClusterStatus.Pending) return 0;
    if (cluster.status === ClusterStatus.Updating || cluster.status === ClusterStatus.Failed) return 1;
    if (cluster.status === ClusterStatus.Ready) {
      if (!isUpdated(cluster, wave)) return 1;
      const gate = REPORTED_GATES.findIndex((reported) => wave.gates.includes(reported) && !cluster.gates[reported]);
      return gate === -1 ? NOT_HELD : 2 + gate;
    }
    return cluster.status === ClusterStatus.Pending ? HOLD_ORDER.length - 1 : NOT_HELD;
  }
}

/** Where `value` is, or would be inserted, in an ascending list. */
function sortedIndex(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function blackoutHold(rollout: Rollout): Hold {
  return { reason: HoldReason.Blackout, clusters: [], until: rollout.blackout.endsAt };
}

function isRunning(phase: RolloutPhase): boolean {
  return phase === RolloutPhase.Pending || phase === RolloutPhase.Progressing || phase === RolloutPhase.Baking;
}

function isUpdated(cluster: ClusterProgress, wave: PlannedWave): boolean {
  return cluster.applied && (cluster.ready || !wave.requireReady);
}

function failingGate(cluster: ClusterProgress, wave: PlannedWave): HealthGate | null {
  if (!isUpdated(cluster, wave)) return HealthGate.AppliedAndReady;
  return wave.gates.find((gate) => !cluster.gates[gate]) ?? null;
}

function deadlineOf(wave: PlannedWave, at: number): number | null {
  return wave.deadlineMs === null ? null : at + wave.deadlineMs;
}
