/**
 * Bearer-token authentication and an allow-list authorizer: each token (which is also the
 * user name) maps to `'*'` or a list of `"verb resource"` grants, each cluster-wide (as a
 * ClusterRoleBinding grants) or, with `in <namespace>`, in one namespace (as a RoleBinding
 * grants). Denials read like RBAC's.
 */
import { statusErrors, type KubeStatusError } from './status.js';

/**
 * Bearer token → `'*'` (everything) or grants such as `"get configmaps"`,
 * `"patch moduleconfigs.deckhouse.io"`, `"* leases"`, `"get configmaps in netfleet-system"`.
 */
export type TokenGrants = Record<string, string[] | '*'>;

export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** The user a request authenticates as (the token itself), or undefined. */
export function authenticate(tokens: TokenGrants, authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  const token = match?.[1]?.trim();
  return token !== undefined && Object.hasOwn(tokens, token) ? token : undefined;
}

function grantMatches(grant: string, attributes: RequestAttributes): boolean {
  const [verb, resource, scope, namespace] = grant.trim().split(/\s+/);
  if (verb !== '*' && verb !== attributes.verb) return false;
  // kube-apiserver's RBAC authorizer applies a RoleBinding's rules only to requests in the
  // binding's namespace: never to cluster-scoped requests, nor to lists across all namespaces.
  if (scope === 'in' && attributes.namespace !== namespace) return false;
  if (resource === '*') return true;
  const full = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const names = [full, attributes.group ? `${attributes.resource}.${attributes.group}${attributes.subresource ? `/${attributes.subresource}` : ''}` : full];
  return resource !== undefined && names.includes(resource);
}

/** Undefined when allowed; the 403 Status kube-apiserver would send otherwise. */
export function authorize(tokens: TokenGrants, user: string, attributes: RequestAttributes): KubeStatusError | undefined {
  const grants = tokens[user];
  if (grants === '*' || (grants ?? []).some((grant) => grantMatches(grant, attributes))) return undefined;
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const subject = attributes.name ? `${attributes.resource}${attributes.group ? `.${attributes.group}` : ''} "${attributes.name}"` : `${attributes.resource}${attributes.group ? `.${attributes.group}` : ''}`;
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope';
  return statusErrors.forbidden(
    `${subject} is forbidden: User "${user}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.group}" ${scope}`,
    { ...(attributes.name ? { name: attributes.name } : {}), group: attributes.group, kind: attributes.resource },
  );
}
