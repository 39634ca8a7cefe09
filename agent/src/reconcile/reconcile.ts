import {
  Action, NetfleetError, Readiness, SyncReason, objectId, parseObjectId, reasonClass, refOf,
  type ChangeSetEntry, type KubeObject, type Logger, type RenderedObject,
} from '@netfleet/shared';
import { PruneLimitError } from '../errors.js';
import { Inventory, type InventoryStore, type StoredInventory } from '../inventory/index.js';
import type { KubeClient } from '../kube/client.js';
import { toKubeError } from '../kube/retry.js';
import {
  applyAllStaged, discoverKinds, kindKey, listLive, planObject, PlanOutcome, probeDeferred, type ObjectPlan, type PlanContext,
} from '../ssa/apply.js';
import { deleteAll, type DeleteResult } from '../ssa/delete.js';
import { describeConflicts } from '../ssa/ownership.js';
import type { AppliedMemo } from '../ssa/memo.js';
import { waitForReady, type ObjectReadiness } from '../ssa/wait.js';
import { moduleOf } from './modules.js';
import { previousObjects } from './previous.js';
import type { SyncResult } from './result.js';
import { SourceError, type FetchedRevision, type FleetSource, type RenderFleet } from './source.js';

/** How a sync behaves. */
export interface ReconcileOptions {
  /**
   * Largest share of the inventory one sync may delete (0..1); a sync that would delete
   * more is refused with PruneLimitExceeded. 1 disables the limit.
   * @defaultValue 0.5
   */
  pruneLimit: number;
  /**
   * Delete objects that left the repository.
   * @defaultValue true
   */
  prune: boolean;
  /**
   * How long to wait for applied objects to become ready, in milliseconds; 0 reads
   * readiness once.
   * @defaultValue 0
   */
  healthTimeoutMs: number;
  /**
   * Pause between readiness checks while waiting, in milliseconds.
   * @defaultValue 1000
   */
  healthIntervalMs: number;
  /**
   * Overrides every document's drift policy (the agent's `--drift-mode`): `correct` syncs
   * take over fields other managers changed, `alert` leaves them and reports drift.
   * Unset follows each document.
   */
  driftMode?: 'correct' | 'alert';
}

export function defaultReconcileOptions(overrides: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return { pruneLimit: 0.5, prune: true, healthTimeoutMs: 0, healthIntervalMs: 1_000, ...overrides };
}

/** What the reconciler needs; built once by the daemon or the CLI. */
export interface ReconcilerDeps {
  cluster: string;
  /** The agent's namespace: objects of namespaces not created yet are validated there. */
  namespace: string;
  client: KubeClient;
  source: FleetSource;
  render: RenderFleet;
  inventory: InventoryStore;
  memo: AppliedMemo;
  logger: Logger;
  options: ReconcileOptions;
}

/** The objects the last sync left in the cluster as desired, for drift detection. */
export interface DesiredState {
  revision: string;
  objects: RenderedObject[];
}

/** Actions after which an object is in the cluster as rendered, so drift detection covers it. */
const IN_CLUSTER = new Set([Action.Created, Action.Configured, Action.Unchanged]);

/** A phase that ended the sync early. */
class PhaseFailure extends Error {
  constructor(readonly reason: SyncReason, message: string, readonly changeSet: ChangeSetEntry[] = []) {
    super(message);
  }
}

/**
 * Runs syncs: fetchSource → render → validate → apply → prune → checkHealth, each phase a
 * function below returning a typed result. A failed fetch, render or validation (or the
 * prune limit) ends the sync before anything is applied or pruned; the last good
 * revision stays.
 */
export class Reconciler {
  #desired: DesiredState | undefined;

  constructor(private readonly deps: ReconcilerDeps) {}

  /** What the cluster should contain after the last sync that applied something. */
  get desired(): DesiredState | undefined {
    return this.#desired;
  }

  async reconcile(options: { overridePruneLimit?: boolean; signal?: AbortSignal } = {}): Promise<SyncResult> {
    const startedAt = Date.now();
    const { deps } = this;
    let revision = '';
    let stored: StoredInventory = { inventory: new Inventory(), revision: '' };
    const finish = (partial: Omit<SyncResult, 'cluster' | 'startedAt' | 'durationMs' | 'revision'>): SyncResult => {
      const errorClass = reasonClass[partial.reason];
      const result: SyncResult = { cluster: deps.cluster, revision, startedAt, durationMs: Date.now() - startedAt, ...partial };
      if (errorClass) result.errorClass = errorClass;
      return result;
    };
    try {
      stored = await deps.inventory.load();
      const fetched = await fetchSource(deps.source, options.signal);
      revision = fetched.revision;
      const log = deps.logger.child({ cluster: deps.cluster, revision });
      const objects = await renderFleet(deps.render, fetched, deps.cluster);
      const context = { driftMode: deps.options.driftMode, previous: previousObjects(deps, stored.revision, { revision, objects }, log) };
      const plans = await validate(deps.client, objects, deps.memo, deps.namespace, context);
      const next = nextInventory(plans);
      const stale = deps.options.prune ? stored.inventory.staleAgainst(next) : [];
      checkPruneLimit(stale.length, stored.inventory.size, options.overridePruneLimit ? 1 : deps.options.pruneLimit);

      const applied = await apply(deps.client, plans, deps.memo);
      // Like Flux, prune only after a clean apply: the old version of a renamed object
      // stays until its new version is in the cluster.
      const clean = !applied.changeSet.some((entry) => entry.action === Action.Failed);
      const pruned = clean ? await prune(deps.client, stale) : keepStale(stale);
      // The stored revision is the last one applied cleanly: the next sync tells this
      // revision's changes from other managers' edits against it.
      await deps.inventory.save({ inventory: next.with(pruned.survivors), revision: clean ? revision : stored.revision });
      this.#desired = { revision, objects: plans.filter((_, i) => IN_CLUSTER.has(applied.changeSet[i]!.action)).map((plan) => plan.rendered) };
      const readiness = await checkHealth(deps.client, applied.objects, deps.options, options.signal);

      const changeSet = [...applied.changeSet, ...pruned.changeSet];
      for (const entry of changeSet) {
        if (entry.action !== Action.Unchanged) log.info({ object: objectId(entry.subject), action: entry.action, message: entry.message }, `object ${entry.action}`);
      }
      const outcome = summarize(changeSet, plans, readiness, deps.options.healthTimeoutMs > 0);
      return finish({ appliedRevision: revision, changeSet, waitingFor: waitingModules(plans), readiness, ...outcome });
    } catch (error) {
      const failure = asPhaseFailure(error);
      return finish({
        appliedRevision: stored.revision, reason: failure.reason, message: failure.message,
        changeSet: failure.changeSet, waitingFor: [], readiness: [],
      });
    }
  }
}

/** Phase 1: the revision to apply. */
export async function fetchSource(source: FleetSource, signal?: AbortSignal): Promise<FetchedRevision> {
  try {
    return await source.fetch(signal);
  } catch (error) {
    if (error instanceof SourceError) throw new PhaseFailure(error.reason, messageOf(error));
    throw new PhaseFailure(SyncReason.FetchFailed, `fetching the fleet repository failed: ${messageOf(error)}`);
  }
}

/** Phase 2: this cluster's objects, in apply order. */
export async function renderFleet(render: RenderFleet, fetched: FetchedRevision, cluster: string): Promise<RenderedObject[]> {
  try {
    return (await render(fetched.reader, cluster)).objects;
  } catch (error) {
    throw new PhaseFailure(SyncReason.RenderFailed, messageOf(error));
  }
}

/**
 * Phase 3: a server-side dry run of every object whose kind is served (skipped for
 * objects the memo knows are in sync; objects of namespaces this sync creates are
 * dry-run in the agent's namespace). Any object the server refuses fails the sync before
 * anything is applied.
 */
export async function validate(
  client: KubeClient, objects: RenderedObject[], memo: AppliedMemo, probeNamespace: string, context: PlanContext = {},
): Promise<ObjectPlan[]> {
  try {
    client.discovery.forgetMissing();
    const kinds = await discoverKinds(client, objects);
    const served = [...kinds.values()].filter((kind) => kind !== undefined);
    const live = await listLive(client, served);
    const plans = await Promise.all(objects.map(async (rendered) => probeDeferred(
      client, await planObject(client, rendered, kinds.get(kindKey(rendered.object)), live.get(rendered.id), memo, context), probeNamespace,
    )));
    const invalid = plans.filter((plan) => plan.outcome === PlanOutcome.Invalid);
    if (invalid.length > 0) {
      const changeSet = invalid.map((plan) => ({ subject: refOf(plan.rendered.object), action: Action.Failed, message: plan.message ?? 'invalid' }));
      throw new PhaseFailure(SyncReason.ValidationFailed, `${invalid.length} object(s) refused by the API server: ${invalid.map((plan) => `${plan.rendered.id}: ${plan.message}`).join('; ')}`, changeSet);
    }
    return plans;
  } catch (error) {
    throw asPhaseFailure(error);
  }
}

/** Phase 4: applies what differs, stage by stage; the change set is in plan order. */
export async function apply(client: KubeClient, plans: ObjectPlan[], memo: AppliedMemo): Promise<{ changeSet: ChangeSetEntry[]; objects: KubeObject[] }> {
  const results = await applyAllStaged(client, plans, memo);
  return {
    changeSet: results.map((result) => result.entry),
    objects: results.flatMap((result) => (result.object ? [result.object] : [])),
  };
}

/** Phase 5: deletes what left the repository; objects whose delete failed stay tracked. */
export async function prune(client: KubeClient, stale: ReturnType<Inventory['entries']>): Promise<{ changeSet: ChangeSetEntry[]; survivors: DeleteResult['stale'][] }> {
  const results = await deleteAll(client, stale);
  return {
    changeSet: results.map((result) => result.entry),
    survivors: results.filter((result) => result.survived).map((result) => result.stale),
  };
}

/** Instead of phase 5 after a failed apply: every stale object stays, tracked, for a later clean sync. */
function keepStale(stale: ReturnType<Inventory['entries']>): { changeSet: ChangeSetEntry[]; survivors: DeleteResult['stale'][] } {
  return {
    changeSet: stale.map((object) => ({ subject: parseObjectId(object.id), action: Action.Skipped, message: 'not pruned: some objects failed to apply; pruned after a clean apply' })),
    survivors: stale,
  };
}

/** Phase 6: readiness of what was applied. */
export async function checkHealth(client: KubeClient, objects: KubeObject[], options: ReconcileOptions, signal?: AbortSignal): Promise<ObjectReadiness[]> {
  try {
    return await waitForReady(client, objects, { timeoutMs: options.healthTimeoutMs, intervalMs: options.healthIntervalMs, signal });
  } catch (error) {
    throw new PhaseFailure(SyncReason.ClusterUnreachable, `reading readiness failed: ${messageOf(error)}`);
  }
}

/**
 * The inventory after this sync: every object rendered, waiting ones too, so an object
 * whose module is off for a while is not pruned meanwhile.
 */
function nextInventory(plans: ObjectPlan[]): Inventory {
  return new Inventory(plans.map((plan) => [plan.rendered.id, plan.rendered.object.apiVersion] as const));
}

function checkPruneLimit(stale: number, total: number, limit: number): void {
  if (total === 0 || limit >= 1) return;
  if (stale / total > limit) {
    const error = new PruneLimitError(stale, total, limit);
    throw new PhaseFailure(SyncReason.PruneLimitExceeded, `${error.message}; hint: ${error.hint}`);
  }
}

function waitingModules(plans: ObjectPlan[]): string[] {
  const modules = plans.filter((plan) => plan.outcome === PlanOutcome.Waiting).map((plan) => moduleOf(plan.rendered.object.apiVersion, plan.rendered.object.kind));
  return [...new Set(modules)].sort();
}

/**
 * The sync's reason from what happened to each object, most serious first. An object
 * still in progress is progressing (WaitingForReadiness) unless a health timeout was set
 * and passed.
 */
function summarize(changeSet: ChangeSetEntry[], plans: ObjectPlan[], readiness: ObjectReadiness[], waitedForHealth: boolean): { reason: SyncReason; message?: string } {
  const failed = changeSet.filter((entry) => entry.action === Action.Failed);
  const conflicts = plans.filter((plan) => plan.outcome === PlanOutcome.Conflict);
  const describe = (entries: ChangeSetEntry[]) => entries.map((entry) => entry.message).join('; ');
  if (conflicts.length > 0) {
    return { reason: SyncReason.ConflictDetected, message: conflicts.map((plan) => `${plan.rendered.id}: ${plan.message}`).join('; ') };
  }
  const pruneFailed = failed.filter((entry) => !plans.some((plan) => plan.rendered.id === objectId(entry.subject)));
  if (failed.length > pruneFailed.length) return { reason: SyncReason.ApplyFailed, message: describe(failed) };
  if (pruneFailed.length > 0) return { reason: SyncReason.PruneFailed, message: describe(pruneFailed) };
  const waiting = plans.filter((plan) => plan.outcome === PlanOutcome.Waiting);
  if (waiting.length > 0) {
    return { reason: SyncReason.WaitingForModule, message: `waiting for module ${waitingModules(plans).join(', ')} (${waiting.length} object(s))` };
  }
  // Other waiting objects belong in a namespace being deleted; they are created once it is gone.
  const awaitingNamespace = changeSet.filter((entry) => entry.action === Action.Waiting);
  if (awaitingNamespace.length > 0) {
    const namespaces = [...new Set(awaitingNamespace.map((entry) => entry.subject.namespace ?? ''))].sort();
    return {
      reason: SyncReason.WaitingForNamespace,
      message: `waiting for namespace ${namespaces.join(', ')} to finish terminating (${awaitingNamespace.length} object(s))`,
    };
  }
  const describeReadiness = (items: ObjectReadiness[]) => items.map((item) => `${item.id}: ${item.readiness}${item.message ? ` (${item.message})` : ''}`).join('; ');
  const stalled = readiness.filter((item) => item.readiness === Readiness.Failed);
  const inProgress = readiness.filter((item) => item.readiness === Readiness.InProgress);
  if (stalled.length > 0 || (waitedForHealth && inProgress.length > 0)) {
    return { reason: SyncReason.HealthCheckFailed, message: describeReadiness([...stalled, ...(waitedForHealth ? inProgress : [])]) };
  }
  if (inProgress.length > 0) return { reason: SyncReason.WaitingForReadiness, message: describeReadiness(inProgress) };
  // Other managers' edits to `drift: alert` objects are drift to report, not a failure.
  const kept = plans.filter((plan) => plan.kept.length > 0);
  if (kept.length === 0) return { reason: SyncReason.Succeeded };
  return { reason: SyncReason.Succeeded, message: kept.map((plan) => `${plan.rendered.id}: drift left in place (drift: alert): ${describeConflicts(plan.kept)}`).join('; ') };
}


function asPhaseFailure(error: unknown): PhaseFailure {
  if (error instanceof PhaseFailure) return error;
  if (error instanceof NetfleetError && error.code.startsWith('AGENT_INVENTORY')) return new PhaseFailure(SyncReason.ClusterUnreachable, messageOf(error));
  const kubeError = toKubeError(error);
  return new PhaseFailure(kubeError.transient ? SyncReason.ClusterUnreachable : SyncReason.ApplyFailed, messageOf(error));
}

function messageOf(error: unknown): string {
  if (error instanceof NetfleetError && error.hint) return `${error.message} (hint: ${error.hint})`;
  return error instanceof Error ? error.message : String(error);
}

