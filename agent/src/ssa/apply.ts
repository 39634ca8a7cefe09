import {
  Action, OWNER_LABEL, OWNER_VALUE, describeRef, objectId, refOf,
  type ChangeSetEntry, type DriftField, type KubeObject, type RenderedObject,
} from '@netfleet/shared';
import { KubeErrorCode, type FieldConflict } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import type { ServedKind } from '../kube/discovery.js';
import { toKubeError } from '../kube/retry.js';
import { alignIgnored, driftedFields } from './diff.js';
import { appliedBy, cleanupManagers, needsCleanup } from './cleanup.js';
import { immutableFields } from './immutable.js';
import type { AppliedMemo } from './memo.js';
import { conflictMessage, describeConflicts, leaveToOwners, splitConflicts, takesOwnership } from './ownership.js';
import { recreate } from './recreate.js';

/** What a dry run decided for one object. */
export enum PlanOutcome {
  /** The cluster already matches. */
  Unchanged = 'unchanged',
  /** Applying changes the object (or creates it). */
  Apply = 'apply',
  /** A change to an immutable field, and the policy says `recreate`: delete, then create. */
  Recreate = 'recreate',
  /** The kind is not served yet. */
  Waiting = 'waiting',
  /** Its namespace does not exist yet: validated in another namespace, created after the namespace stage. */
  Deferred = 'deferred',
  /** Its namespace is being deleted: a later sync creates it once the namespace is gone and applied again. */
  AwaitingNamespace = 'awaiting-namespace',
  /** This revision changes fields another field manager owns, and the policy does not take them. */
  Conflict = 'conflict',
  /** The API server refused the object (schema, strict field validation, an immutable field). */
  Invalid = 'invalid',
  /** The request kept failing. */
  Failed = 'failed',
}

/** The dry-run verdict for one rendered object. */
export interface ObjectPlan {
  rendered: RenderedObject;
  /** What to apply: the rendered object, with live values at its ignored paths, without fields left to other managers. */
  object: KubeObject;
  outcome: PlanOutcome;
  /** Apply with `force`: the object's policy takes over fields other managers own. */
  force: boolean;
  /** The kind as served; absent while waiting. */
  served?: ServedKind;
  /** The live object, when it exists. */
  live?: KubeObject;
  /** Fields the apply would change (empty when creating). */
  fields: DriftField[];
  /** Conflicting fields for `Conflict`. */
  conflicts: FieldConflict[];
  /**
   * Fields another manager changed on a `drift: alert` object since netfleet applied them:
   * left as they are and reported as drift, not applied over.
   */
  kept: FieldConflict[];
  /** Why the object is waiting, invalid or failed. */
  message?: string;
}

/** Live objects netfleet manages, by inventory id, for the kinds listed. */
export type LiveObjects = Map<string, KubeObject>;

/** The label selector of every object netfleet applies. */
export const OWNER_SELECTOR = `${OWNER_LABEL}=${OWNER_VALUE}`;

/**
 * Lists the managed objects of each served kind once (one request per kind, not per
 * object) and indexes them by inventory id.
 */
export async function listLive(client: KubeClient, kinds: ServedKind[]): Promise<LiveObjects> {
  const live: LiveObjects = new Map();
  const lists = await Promise.all(kinds.map((kind) => client.list(kind.apiVersion, kind.kind, OWNER_SELECTOR)));
  for (const list of lists) {
    for (const object of list.items) live.set(idOf(object), object);
  }
  return live;
}

function idOf(object: KubeObject): string {
  return objectId(refOf(object));
}

/** Discovers each distinct kind once; kinds not served map to undefined. */
export async function discoverKinds(client: KubeClient, objects: readonly RenderedObject[]): Promise<Map<string, ServedKind | undefined>> {
  const kinds = new Map<string, ServedKind | undefined>();
  for (const { object } of objects) {
    const key = kindKey(object);
    if (!kinds.has(key)) kinds.set(key, await client.discovery.find(object.apiVersion, object.kind));
  }
  return kinds;
}

export function kindKey(object: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  return `${object.apiVersion}/${object.kind}`;
}

/** What planning needs beyond the object itself. */
export interface PlanContext {
  /** The agent's drift mode, overriding each document's drift policy. */
  driftMode?: 'correct' | 'alert';
  /**
   * The object as the revision applied last rendered it (undefined when it was not in it
   * or that revision cannot be read): tells a revision's change from someone's edit.
   */
  previous?: (id: string) => Promise<RenderedObject | undefined>;
}

/**
 * Server-side dry run of one object, compared with the live object. Skipped when the
 * memo says nothing changed since netfleet last saw it. Objects whose policy takes
 * ownership (`drift: correct` or `force`) are dry-run forced, as Flux applies; an
 * `alert` object that conflicts leaves the fields this revision does not change to the
 * managers that changed them, and conflicts on the ones it does. An object is applied
 * even with no value to change when adopted managers still own fields it sets.
 */
export async function planObject(
  client: KubeClient,
  rendered: RenderedObject,
  served: ServedKind | undefined,
  live: KubeObject | undefined,
  memo: AppliedMemo,
  context: PlanContext = {},
): Promise<ObjectPlan> {
  const force = takesOwnership(rendered.policy, context.driftMode);
  const base = { rendered, object: rendered.object, force, fields: [], conflicts: [], kept: [] };
  if (!served) return { ...base, outcome: PlanOutcome.Waiting, message: `${rendered.object.kind} is not served` };
  const plan = { ...base, served, live };
  if (live && memo.inSync(rendered.id, rendered.hash, live.metadata.resourceVersion as string | undefined)) {
    return { ...plan, outcome: PlanOutcome.Unchanged };
  }
  try {
    // Not in the owner-label list: it may still exist (created by someone else, or our
    // label removed), so look it up before calling the apply a creation.
    const current = live ?? await client.get(pathOf(rendered.object));
    let object = alignIgnored(rendered.object, current, rendered.policy.ignore);
    let kept: FieldConflict[] = [];
    let dryRun: KubeObject;
    try {
      dryRun = await client.apply(object, { force, dryRun: true });
    } catch (raw) {
      const error = toKubeError(raw);
      if (error.code !== KubeErrorCode.FieldConflict || !current) throw raw;
      const previous = await context.previous?.(rendered.id);
      const { changed, edited } = splitConflicts(error.conflicts, rendered.object, previous?.object);
      if (changed.length > 0) return { ...plan, live: current, outcome: PlanOutcome.Conflict, conflicts: changed, message: conflictMessage(changed) };
      object = leaveToOwners(object, edited);
      kept = edited;
      dryRun = await client.apply(object, { force, dryRun: true });
    }
    if (!current) return { ...plan, outcome: PlanOutcome.Apply };
    const fields = driftedFields(dryRun, current);
    if (fields.length === 0 && !(cleansUp(plan, current, kept, client.fieldManager) && needsCleanup(dryRun, client.fieldManager))) {
      // An object with kept edits is not in sync: drift detection must keep seeing it.
      if (kept.length === 0) memo.remember(rendered.id, rendered.hash, current.metadata.resourceVersion as string | undefined);
      return { ...plan, object, live: current, kept, outcome: PlanOutcome.Unchanged };
    }
    return { ...plan, object, live: current, kept, outcome: PlanOutcome.Apply, fields };
  } catch (raw) {
    return { ...plan, ...failedPlan(rendered, raw) };
  }
}

/**
 * Validates an object whose namespace does not exist yet (so it cannot be dry-run where it
 * belongs) by a dry run of the same object in `probeNamespace`: schema, defaults and strict
 * field validation do not depend on the namespace. Returns the plan unchanged when the
 * server accepts it, or an `Invalid` plan.
 */
export async function probeDeferred(client: KubeClient, plan: ObjectPlan, probeNamespace: string): Promise<ObjectPlan> {
  if (plan.outcome !== PlanOutcome.Deferred) return plan;
  const probe = { ...plan.rendered.object, metadata: { ...plan.rendered.object.metadata, namespace: probeNamespace } };
  try {
    await client.apply(probe, { force: true, dryRun: true });
    return plan;
  } catch (raw) {
    const error = toKubeError(raw);
    if (error.code !== KubeErrorCode.Invalid) return plan;
    return { ...plan, outcome: PlanOutcome.Invalid, message: error.message };
  }
}

function failedPlan(rendered: RenderedObject, raw: unknown): Pick<ObjectPlan, 'outcome' | 'conflicts' | 'message'> {
  const error = toKubeError(raw);
  switch (error.code) {
    case KubeErrorCode.FieldConflict:
      return { outcome: PlanOutcome.Conflict, conflicts: error.conflicts, message: conflictMessage(error.conflicts) };
    case KubeErrorCode.Invalid: {
      const immutable = immutableFields(error);
      if (immutable.length === 0) return { outcome: PlanOutcome.Invalid, conflicts: [], message: error.message };
      // Never a Namespace: deleting it deletes everything in it.
      const recreatable = rendered.policy.recreate && !(rendered.object.apiVersion === 'v1' && rendered.object.kind === 'Namespace');
      if (recreatable) return { outcome: PlanOutcome.Recreate, conflicts: [], message: `immutable ${immutable.join(', ')} changed: re-creating` };
      return {
        outcome: PlanOutcome.Invalid, conflicts: [],
        message: `cannot change immutable field ${immutable.join(', ')}: ${error.message}; `
          + 'to apply it, set `policy.recreate: true` on the document (the object is deleted and created again), or keep the field as it is',
      };
    }
    case KubeErrorCode.NotFound:
      // Applying into a namespace that does not exist yet answers 404 on the namespace.
      if (rendered.object.metadata.namespace) return { outcome: PlanOutcome.Deferred, conflicts: [], message: error.message };
      return { outcome: PlanOutcome.Failed, conflicts: [], message: error.message };
    case KubeErrorCode.NamespaceTerminating:
      return { outcome: PlanOutcome.AwaitingNamespace, conflicts: [], message: `namespace ${rendered.object.metadata.namespace ?? ''} is being deleted: ${error.message}` };
    default:
      return { outcome: PlanOutcome.Failed, conflicts: [], message: error.message };
  }
}

/** The REST coordinates of an object. */
export function pathOf(object: KubeObject): { apiVersion: string; kind: string; namespace?: string; name: string } {
  return { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
}

/** What applying one planned object did. */
export interface ApplyResult {
  entry: ChangeSetEntry;
  /** The object as the server returned it after the apply (or the live one when unchanged). */
  object?: KubeObject;
}

/** The change-set note of an object whose other managers' edits were left in place. */
function keptNote(plan: ObjectPlan): string | undefined {
  if (plan.kept.length === 0) return undefined;
  return `drift left in place (drift: alert): ${describeConflicts(plan.kept)}`;
}

/**
 * Carries out one plan: applies `Apply` and `Deferred` (whose namespace now exists),
 * re-creates `Recreate`, and turns every outcome into a ChangeSet entry.
 */
export async function applyPlan(client: KubeClient, plan: ObjectPlan, memo: AppliedMemo): Promise<ApplyResult> {
  const subject = refOf(plan.rendered.object);
  const entry = (action: Action, message?: string): ChangeSetEntry => (message ? { subject, action, message } : { subject, action });
  switch (plan.outcome) {
    case PlanOutcome.Unchanged:
      return { entry: entry(Action.Unchanged, keptNote(plan)), object: plan.live };
    case PlanOutcome.Waiting:
    case PlanOutcome.AwaitingNamespace:
      return { entry: entry(Action.Waiting, plan.message) };
    case PlanOutcome.Deferred:
      // Its namespace did not exist, so neither did it: create it now that the namespace
      // stage has run (validation already passed in another namespace).
      return applyPlan(client, { ...plan, outcome: PlanOutcome.Apply }, memo);
    case PlanOutcome.Recreate:
      return recreate(client, plan, memo);
    case PlanOutcome.Conflict:
    case PlanOutcome.Invalid:
    case PlanOutcome.Failed:
      return { entry: entry(Action.Failed, plan.message) };
    case PlanOutcome.Apply:
      try {
        const applied = await client.apply(plan.object, { force: plan.force });
        if (plan.kept.length === 0) memo.remember(plan.rendered.id, plan.rendered.hash, applied.metadata.resourceVersion as string | undefined);
        return { entry: entry(plan.live ? Action.Configured : Action.Created, keptNote(plan)), object: await adopt(client, plan, applied, memo) };
      } catch (raw) {
        memo.forget(plan.rendered.id);
        const failed = failedPlan(plan.rendered, raw);
        // The namespace began terminating after the dry run: the object waits like a planned one.
        const action = failed.outcome === PlanOutcome.AwaitingNamespace ? Action.Waiting : Action.Failed;
        return { entry: entry(action, `${describeRef(subject)}: ${failed.message}`) };
      }
  }
}

/**
 * Whether netfleet moves adoptable managers' ownership of its fields to itself (see
 * cleanup.ts): always for objects it owns outright (`drift: correct`, `force`), only on
 * adoption for `alert` ones, never past another manager's kept edits.
 */
function cleansUp(plan: Pick<ObjectPlan, 'force'>, live: KubeObject | undefined, kept: FieldConflict[], manager: string): boolean {
  return kept.length === 0 && (plan.force || !appliedBy(live, manager));
}

/**
 * Runs the cleanup after an apply. A failed move never fails the sync; the memo forgets
 * the object so the next sync dry-runs it, sees the move still needed, and applies again.
 */
async function adopt(client: KubeClient, plan: ObjectPlan, applied: KubeObject, memo: AppliedMemo): Promise<KubeObject> {
  if (!cleansUp(plan, plan.live, plan.kept, client.fieldManager)) return applied;
  try {
    const cleaned = await cleanupManagers(client, applied);
    if (cleaned !== applied) memo.remember(plan.rendered.id, plan.rendered.hash, cleaned.metadata.resourceVersion as string | undefined);
    return cleaned;
  } catch {
    memo.forget(plan.rendered.id);
    return applied;
  }
}

/**
 * Apply stages, like Flux's ApplyAllStaged: ModuleConfigs first (they enable the modules
 * whose CRDs the rest needs), then Namespaces, other cluster-scoped kinds, and last the
 * namespaced ones.
 */
export function applyStage(plan: Pick<ObjectPlan, 'rendered' | 'served'>): number {
  const { kind, apiVersion } = plan.rendered.object;
  if (kind === 'ModuleConfig' && apiVersion.startsWith('deckhouse.io/')) return 0;
  if (kind === 'Namespace' && apiVersion === 'v1') return 1;
  return plan.served?.namespaced ? 3 : 2;
}

/** Applies plans stage by stage; objects within a stage go in parallel (bounded by the client). */
export async function applyAllStaged(client: KubeClient, plans: readonly ObjectPlan[], memo: AppliedMemo): Promise<ApplyResult[]> {
  const results = new Map<ObjectPlan, ApplyResult>();
  for (const stage of [0, 1, 2, 3]) {
    const inStage = plans.filter((plan) => applyStage(plan) === stage);
    const applied = await Promise.all(inStage.map((plan) => applyPlan(client, plan, memo)));
    inStage.forEach((plan, i) => results.set(plan, applied[i]!));
  }
  return plans.map((plan) => results.get(plan)!);
}
