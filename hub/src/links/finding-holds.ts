/**
 * The holds between a link finding and its alert: a finding fires only after it has lasted
 * `raiseAfterMs`, and a firing one resolves only after it has been gone `resolveAfterMs`.
 * Fed either the whole set of alertable findings ({@link FindingHolds.replaceAll}, after the
 * partition analysis or the topology changed) or only the findings that changed
 * ({@link FindingHolds.update}, after reports that left the partitions as they were), so a
 * pass costs what changed in it, not the fleet's findings: a fleet of 100,000 clusters can
 * hold hundreds of thousands of them.
 */

interface Finding {
  id: string;
}

/** What an evaluation changed in the firing findings; alerts fire and resolve on these. */
export interface HoldChanges<F extends Finding> {
  raised: F[];
  resolved: F[];
}

export class FindingHolds<F extends Finding> {
  /** Alertable findings not yet old enough to fire, by since when they are seen. */
  readonly #pending = new SinceQueue<F>();
  readonly #firing = new Map<string, F>();
  /** Firing findings currently gone, by since when. */
  readonly #gone = new SinceQueue<F>();

  constructor(private readonly raiseAfterMs: number, private readonly resolveAfterMs: number) {}

  firing(): IterableIterator<F> {
    return this.#firing.values();
  }

  firingFinding(id: string): F | undefined {
    return this.#firing.get(id);
  }

  /** Takes `current` as every alertable finding there is now. */
  replaceAll(current: ReadonlyMap<string, F>, now: number): HoldChanges<F> {
    for (const [id, finding] of this.#firing) {
      const still = current.get(id);
      if (still) this.#keepFiring(id, still);
      else this.#gone.add(id, finding, now);
    }
    for (const id of [...this.#pending.ids()]) if (!current.has(id)) this.#pending.delete(id);
    for (const [id, finding] of current) if (!this.#firing.has(id)) this.#pending.add(id, finding, now);
    return this.#due(now);
  }

  /** Takes the findings of `changed` as they are now (undefined: gone); the others stay as they were. */
  update(changed: Iterable<[id: string, finding: F | undefined]>, now: number): HoldChanges<F> {
    for (const [id, finding] of changed) {
      if (this.#firing.has(id)) {
        if (finding) this.#keepFiring(id, finding);
        else this.#gone.add(id, this.#firing.get(id)!, now);
      } else if (finding) {
        this.#pending.add(id, finding, now);
      } else {
        this.#pending.delete(id);
      }
    }
    return this.#due(now);
  }

  #keepFiring(id: string, finding: F): void {
    this.#firing.set(id, finding);
    this.#gone.delete(id);
  }

  /** Fires the pending findings and resolves the gone ones whose hold is over. */
  #due(now: number): HoldChanges<F> {
    const changes: HoldChanges<F> = { raised: [], resolved: [] };
    for (const [id, finding] of this.#gone.takeDue(now - this.resolveAfterMs)) {
      this.#firing.delete(id);
      changes.resolved.push(finding);
    }
    for (const [id, finding] of this.#pending.takeDue(now - this.raiseAfterMs)) {
      this.#firing.set(id, finding);
      changes.raised.push(finding);
    }
    return changes;
  }
}

/**
 * Entries with the time they started, oldest first, so that taking the due ones reads only
 * those. A clock that steps back can insert an entry older than the newest; then the queue is
 * read whole until it is in order again.
 */
class SinceQueue<F> {
  readonly #entries = new Map<string, { value: F; since: number }>();
  #newest = Number.NEGATIVE_INFINITY;
  #ordered = true;

  ids(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** Adds an entry starting `since`, or refreshes the value of one already there (keeping its start). */
  add(id: string, value: F, since: number): void {
    const entry = this.#entries.get(id);
    if (entry) {
      entry.value = value;
      return;
    }
    if (since < this.#newest) this.#ordered = false;
    this.#newest = Math.max(this.#newest, since);
    this.#entries.set(id, { value, since });
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** Removes and returns the entries that started at or before `cutoff`, oldest first. */
  takeDue(cutoff: number): [string, F][] {
    const due: [string, F][] = [];
    let ordered = true;
    let previous = Number.NEGATIVE_INFINITY;
    for (const [id, entry] of this.#entries) {
      if (entry.since <= cutoff) {
        due.push([id, entry.value]);
        this.#entries.delete(id);
        continue;
      }
      if (this.#ordered) break;
      if (entry.since < previous) ordered = false;
      previous = entry.since;
    }
    if (!this.#ordered) this.#ordered = ordered;
    return due;
  }
}
