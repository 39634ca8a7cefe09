import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FindingHolds, type HoldChanges } from '../../src/links/finding-holds.js';

interface TestFinding {
  id: string;
  version: number;
}

const RAISE_AFTER = 100;
const RESOLVE_AFTER = 50;

/**
 * The holds as the hub first evaluated them, every finding on every evaluation: the model
 * both of FindingHolds' ways are held to.
 */
class EveryFindingModel {
  readonly pending = new Map<string, { finding: TestFinding; since: number }>();
  readonly firing = new Map<string, TestFinding>();
  readonly goneSince = new Map<string, number>();

  evaluate(current: ReadonlyMap<string, TestFinding>, now: number): HoldChanges<TestFinding> {
    const changes: HoldChanges<TestFinding> = { raised: [], resolved: [] };
    for (const [id, finding] of this.firing) {
      if (current.has(id)) {
        this.firing.set(id, current.get(id)!);
        this.goneSince.delete(id);
        continue;
      }
      const since = this.goneSince.get(id) ?? now;
      if (now - since >= RESOLVE_AFTER) {
        this.firing.delete(id);
        this.goneSince.delete(id);
        changes.resolved.push(finding);
      } else {
        this.goneSince.set(id, since);
      }
    }
    for (const id of this.pending.keys()) if (!current.has(id)) this.pending.delete(id);
    for (const [id, finding] of current) {
      if (this.firing.has(id)) continue;
      const since = this.pending.get(id)?.since ?? now;
      if (now - since >= RAISE_AFTER) {
        this.pending.delete(id);
        this.firing.set(id, finding);
        changes.raised.push(finding);
      } else {
        this.pending.set(id, { finding, since });
      }
    }
    return changes;
  }
}

const sorted = (changes: HoldChanges<TestFinding>) => ({
  raised: changes.raised.map((finding) => `${finding.id}@${finding.version}`).sort(),
  resolved: changes.resolved.map((finding) => `${finding.id}@${finding.version}`).sort(),
});
const firingOf = (findings: Iterable<TestFinding>) => [...findings].map((finding) => `${finding.id}@${finding.version}`).sort();

describe('finding holds', () => {
  it('raise and resolve the same findings whether given every finding or only the changed ones, as every finding evaluated each time did', () => {
    // Each step: the findings present now (id → version), and how far the clock moved (back too).
    const step = fc.record({
      present: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.integer({ min: 0, max: 2 })),
      advance: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: -80, max: 0 })),
    });
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
      const model = new EveryFindingModel();
      const whole = new FindingHolds<TestFinding>(RAISE_AFTER, RESOLVE_AFTER);
      const changedOnly = new FindingHolds<TestFinding>(RAISE_AFTER, RESOLVE_AFTER);
      let previous = new Map<string, TestFinding>();
      let now = 1_000;
      for (const { present, advance } of steps) {
        now += advance;
        const current = new Map(Object.entries(present).map(([id, version]) => [id, { id, version }]));
        const changed: [string, TestFinding | undefined][] = [];
        for (const id of new Set([...previous.keys(), ...current.keys()])) {
          if (previous.get(id)?.version !== current.get(id)?.version) changed.push([id, current.get(id)]);
        }
        const expected = sorted(model.evaluate(current, now));
        expect(sorted(whole.replaceAll(current, now))).toEqual(expected);
        expect(sorted(changedOnly.update(changed, now))).toEqual(expected);
        expect(firingOf(whole.firing())).toEqual(firingOf(model.firing.values()));
        expect(firingOf(changedOnly.firing())).toEqual(firingOf(model.firing.values()));
        previous = current;
      }
    }), { numRuns: 300 });
  });

  it('fire a finding once it has lasted, and resolve it once it has been gone long enough', () => {
    const holds = new FindingHolds<TestFinding>(RAISE_AFTER, RESOLVE_AFTER);
    expect(holds.update([['a', { id: 'a', version: 0 }]], 0)).toEqual({ raised: [], resolved: [] });
    expect(holds.update([], RAISE_AFTER - 1).raised).toEqual([]);
    expect(holds.update([], RAISE_AFTER).raised).toEqual([{ id: 'a', version: 0 }]);
    expect(holds.update([['a', undefined]], 200).resolved).toEqual([]);
    expect(holds.update([], 200 + RESOLVE_AFTER).resolved).toEqual([{ id: 'a', version: 0 }]);
    expect([...holds.firing()]).toEqual([]);
  });
});
