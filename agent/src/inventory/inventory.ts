import type { StaleObject } from '../ssa/delete.js';

/**
 * The set of objects netfleet applied to the cluster, by stable inventory id
 * (`group_kind_namespace_name`) with the apiVersion each was applied with (needed to
 * delete it once it has left the repository).
 */
export class Inventory {
  readonly #entries: Map<string, string>;

  constructor(entries: Iterable<readonly [id: string, apiVersion: string]> = []) {
    this.#entries = new Map(entries);
  }

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  ids(): string[] {
    return [...this.#entries.keys()].sort();
  }

  entries(): StaleObject[] {
    return this.ids().map((id) => ({ id, apiVersion: this.#entries.get(id)! }));
  }

  /** What this inventory has and `next` lacks: the objects to prune (Flux's `inventory.Diff`). */
  staleAgainst(next: Inventory): StaleObject[] {
    return this.entries().filter((entry) => !next.has(entry.id));
  }

  /** A copy with more entries (objects whose delete failed stay tracked). */
  with(more: Iterable<StaleObject>): Inventory {
    const merged = new Inventory(this.#entries);
    for (const entry of more) merged.#entries.set(entry.id, entry.apiVersion);
    return merged;
  }

  /** `id apiVersion` per line, sorted: stable text, small diffs between syncs. */
  serialize(): string {
    return this.entries().map((entry) => `${entry.id} ${entry.apiVersion}`).join('\n');
  }

  static parse(text: string): Inventory {
    const entries: [string, string][] = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      const [id, apiVersion, extra] = line.trim().split(' ');
      if (!id || !apiVersion || extra !== undefined || id.split('_').length !== 4) {
        throw new Error(`line ${index + 1}: expected "group_kind_namespace_name apiVersion", got "${line}"`);
      }
      entries.push([id, apiVersion]);
    }
    return new Inventory(entries);
  }
}
