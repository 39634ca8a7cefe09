import type { DriftField, KubeObject } from '@netfleet/shared';

/** When re-applying a drifted object counts as fighting another controller, and how long to back off. */
export interface FightOptions {
  /**
   * A correction needed again, for one of the same fields, within this many milliseconds
   * of the previous one is a fight.
   * @defaultValue 60000
   */
  windowMs: number;
  /**
   * Pause before the correction after the first fight, doubling with each further one.
   * @defaultValue 10000
   */
  baseDelayMs: number;
  /**
   * Longest pause between corrections of an object in a fight.
   * @defaultValue 600000
   */
  maxDelayMs: number;
}

export function defaultFightOptions(overrides: Partial<FightOptions> = {}): FightOptions {
  return { windowMs: 60_000, baseDelayMs: 10_000, maxDelayMs: 600_000, ...overrides };
}

/** What to do about one drifted object under `correct`. */
export interface FightDecision {
  /** Corrections of the same fields in a row, each within the window of the last (0: no fight). */
  streak: number;
  /** Milliseconds to wait before correcting; 0 corrects now. */
  waitMs: number;
}

interface FightState {
  lastCorrection: number;
  fields: Set<string>;
  streak: number;
  /** No correction before this time. */
  holdUntil: number;
}

/**
 * Per-object memory of corrections, so an object another controller keeps reverting is
 * corrected with a growing pause instead of in a tight forced-apply loop.
 */
export class FightTracker {
  readonly #states = new Map<string, FightState>();

  constructor(private readonly options: FightOptions) {}

  /** Whether correcting `fields` of `id` now is part of a fight, and how long to wait first. */
  decide(id: string, fields: readonly DriftField[], now: number): FightDecision {
    const state = this.#states.get(id);
    if (!state || now - state.lastCorrection > this.options.windowMs || !fields.some((field) => state.fields.has(field.path))) {
      return { streak: 0, waitMs: 0 };
    }
    return { streak: state.streak + 1, waitMs: Math.max(0, state.holdUntil - now) };
  }

  /** Records a correction made after `decide` said `streak`. */
  corrected(id: string, fields: readonly DriftField[], streak: number, now: number): void {
    const delay = streak === 0 ? 0 : Math.min(this.options.baseDelayMs * 2 ** (streak - 1), this.options.maxDelayMs);
    this.#states.set(id, { lastCorrection: now, fields: new Set(fields.map((field) => field.path)), streak, holdUntil: now + delay });
  }

  forget(id: string): void {
    this.#states.delete(id);
  }
}

interface ManagedFieldsEntry {
  manager?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, unknown>;
}

/**
 * The field managers other than `self` that own the drifted fields (or something under
 * the deepest part of their path that fieldsV1 names by field: list items are keyed
 * there, not indexed). Falls back to the manager that wrote last.
 */
export function managersOf(live: KubeObject, fields: readonly DriftField[], self: string): string[] {
  const entries = ((live.metadata.managedFields ?? []) as ManagedFieldsEntry[])
    .filter((entry) => entry.manager && entry.manager !== self && entry.subresource !== 'status');
  const owners = entries.filter((entry) => fields.some((field) => owns(entry.fieldsV1, field.path)));
  if (owners.length > 0) return [...new Set(owners.map((entry) => entry.manager!))].sort();
  const latest = [...entries].sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''))[0];
  return latest ? [latest.manager!] : [];
}

function owns(fieldsV1: Record<string, unknown> | undefined, pointer: string): boolean {
  let node: unknown = fieldsV1;
  for (const token of pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (/^\d+$/.test(token)) return true;
    const next = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[`f:${token}`] : undefined;
    if (next === undefined) return false;
    node = next;
  }
  return node !== undefined;
}
