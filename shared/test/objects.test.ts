import { describe, expect, it } from 'vitest';
import { describeRef, groupOf, objectId, parseObjectId, refOf } from '../src/objects.js';

describe('object identity', () => {
  it.each([
    ['v1', ''],
    ['deckhouse.io/v1alpha1', 'deckhouse.io'],
    ['networking.k8s.io/v1', 'networking.k8s.io'],
  ])('takes the group of %s as %j', (apiVersion, group) => {
    expect(groupOf(apiVersion)).toBe(group);
  });

  it('round-trips an inventory id', () => {
    const ref = refOf({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'deny', namespace: 'prod' } });
    expect(objectId(ref)).toBe('cilium.io_CiliumNetworkPolicy_prod_deny');
    expect(parseObjectId(objectId(ref))).toEqual(ref);
    expect(describeRef(ref)).toBe('CiliumNetworkPolicy/prod/deny');
  });

  it('rejects a malformed id', () => {
    expect(() => parseObjectId('nope')).toThrow(/not an object id/);
  });
});
