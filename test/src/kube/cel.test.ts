/** The CEL subset used by x-kubernetes-validations in the DKP CRDs. */
import { describe, expect, it } from 'vitest';
import { CelEvaluationError, UnsupportedCelError, evaluateCel, isTransitionRule } from './cel.js';

describe('when a CEL rule is evaluated', () => {
  it.each([
    ['self != 6443', 443, undefined, true],
    ['self != 6443', 6443, undefined, false],
    ["self.enableHTTP3 == true ? self.controllerVersion == '1.10': true", { enableHTTP3: false }, undefined, true],
    ["self.enableHTTP3 == true ? self.controllerVersion == '1.10': true", { enableHTTP3: true, controllerVersion: '1.10' }, undefined, true],
    ["self.enableHTTP3 == true ? self.controllerVersion == '1.10': true", { enableHTTP3: true, controllerVersion: '1.9' }, undefined, false],
    ['has(self.end) && self.start <= self.end', { start: 1, end: 2 }, undefined, true],
    ['has(self.end) && self.start <= self.end', { start: 3, end: 2 }, undefined, false],
    ['has(self.end) && self.start <= self.end', { start: 3 }, undefined, false],
    ['self == oldSelf', 'a', 'a', true],
    ['self == oldSelf', 'a', 'b', false],
    ['!has(oldSelf.ipRoutingTableID) || has(self.ipRoutingTableID)', {}, { ipRoutingTableID: 1 }, false],
    ['!has(oldSelf.ipRoutingTableID) || has(self.ipRoutingTableID)', { ipRoutingTableID: 1 }, { ipRoutingTableID: 1 }, true],
    ['(self > -1) && !(self >= 10)', 5, undefined, true],
  ])('%s with self=%j, oldSelf=%j is %s', (rule, self, oldSelf, expected) => {
    expect(evaluateCel(rule, self, oldSelf)).toBe(expected);
  });

  it('fails evaluation on a missing key, as CEL does (kube-apiserver rejects the object)', () => {
    expect(() => evaluateCel("self.enableHTTP3 == true ? self.controllerVersion == '1.10': true", { enableHTTP3: true })).toThrow(CelEvaluationError);
  });

  it.each([['self.all(x, x > 0)'], ['size(self) > 1'], ['self.matches("^a")']])('reports %s as outside the subset', (rule) => {
    expect(() => evaluateCel(rule, [])).toThrow(UnsupportedCelError);
  });

  it('tells transition rules by their use of oldSelf', () => {
    expect(isTransitionRule('self == oldSelf')).toBe(true);
    expect(isTransitionRule('self != 6443')).toBe(false);
  });
});
