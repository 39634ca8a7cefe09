import { describe, expect, it } from 'vitest';
import { authorize, type TokenGrants } from './auth.js';

const tokens: TokenGrants = { agent: ['get configmaps in netfleet-system', 'list namespaces'] };

describe('the allow-list authorizer', () => {
  // kube-apiserver's RBAC: a RoleBinding grants its Role's rules in its own namespace only.
  it('applies a namespace grant only to requests in that namespace, as a RoleBinding does', () => {
    expect(authorize(tokens, 'agent', { verb: 'get', group: '', resource: 'configmaps', namespace: 'netfleet-system', name: 'x' })).toBeUndefined();
    expect(authorize(tokens, 'agent', { verb: 'get', group: '', resource: 'configmaps', namespace: 'other', name: 'x' })?.code).toBe(403);
    // A list across all namespaces is a cluster-scoped request: only a ClusterRoleBinding grants it.
    expect(authorize(tokens, 'agent', { verb: 'get', group: '', resource: 'configmaps' })?.code).toBe(403);
    expect(authorize(tokens, 'agent', { verb: 'list', group: '', resource: 'namespaces' })).toBeUndefined();
  });
});
