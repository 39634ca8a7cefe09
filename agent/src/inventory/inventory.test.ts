import { describe, expect, it } from 'vitest';
import { Inventory } from './inventory.js';

const entries = (...ids: string[]) => ids.map((id) => [id, 'v1'] as const);

describe('Inventory', () => {
  it('lists as stale what the old inventory has and the new one lacks', () => {
    const old = new Inventory(entries('_Namespace__a', '_ConfigMap_a_x', 'deckhouse.io_ModuleConfig__istio'));
    const next = new Inventory(entries('_Namespace__a', 'deckhouse.io_ModuleConfig__istio', '_ConfigMap_a_y'));
    expect(old.staleAgainst(next)).toEqual([{ id: '_ConfigMap_a_x', apiVersion: 'v1' }]);
  });

  it('keeps tracking objects added back after a failed delete', () => {
    const next = new Inventory(entries('_Namespace__a')).with([{ id: '_ConfigMap_a_x', apiVersion: 'v1' }]);
    expect(next.ids()).toEqual(['_ConfigMap_a_x', '_Namespace__a']);
  });

  it('survives a round trip through its text form', () => {
    const inventory = new Inventory([['deckhouse.io_IstioFederation__peer', 'deckhouse.io/v1alpha1'], ['_ConfigMap_a_x', 'v1']]);
    const text = inventory.serialize();
    expect(text).toBe('_ConfigMap_a_x v1\ndeckhouse.io_IstioFederation__peer deckhouse.io/v1alpha1');
    expect(Inventory.parse(text).entries()).toEqual(inventory.entries());
  });

  it.each([
    ['a missing apiVersion', '_ConfigMap_a_x'],
    ['an id with too few parts', '_ConfigMap_x v1'],
    ['extra words', '_ConfigMap_a_x v1 extra'],
  ])('refuses %s with the line number', (_name, line) => {
    expect(() => Inventory.parse(`_Namespace__a v1\n${line}`)).toThrow(/line 2/);
  });
});
