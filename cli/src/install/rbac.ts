import type { V1PolicyRule } from '@kubernetes/client-node';
import { DKP_RESOURCES } from '@netfleet/shared/dkp/resources';

/** One API resource the agent manages: `configmaps` in group `''`, `peerauthentications` in `security.istio.io`. */
export interface ResourceRef {
  group: string;
  resource: string;
}

/** Everything the agent does to the objects it owns: server-side apply (create/patch), watch for drift, prune. */
const MANAGE_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/**
 * The built-in kinds the renderer emits besides the DKP kinds: the NetworkPolicies of the
 * network documents and the Namespaces they live in. Namespaces are pruned last, after
 * everything in them (agent/src/ssa/delete.ts), so the agent needs delete on them too.
 */
const RENDERED_BUILTINS: ResourceRef[] = [
  { group: 'networking.k8s.io', resource: 'networkpolicies' },
  { group: '', resource: 'namespaces' },
];

/** Every resource the renderer can emit: the DKP kinds netfleet defines, then the built-ins. */
export function renderedResources(): ResourceRef[] {
  return [...DKP_RESOURCES.map(({ group, plural }) => ({ group, resource: plural })), ...RENDERED_BUILTINS];
}

/**
 * The resource of a kind that has no definition at hand, guessed the way kube-apiserver's
 * `meta.UnsafeGuessKindToResource` does (lowercase; `s` → `ses`, consonant+`y` → `ies`,
 * else `s`). Kinds it gets wrong are named directly with `--manifest-kinds resource.group`.
 */
export function guessResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y') && !/[aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** `resource.group` (or a core `resource`), as `kubectl create role --resource` takes it. */
export function parseResourceName(text: string): ResourceRef {
  const dot = text.indexOf('.');
  return dot < 0 ? { group: '', resource: text } : { group: text.slice(dot + 1), resource: text.slice(0, dot) };
}

/**
 * Rules granting `verbs` on `resources`, one rule per API group in first-seen order, each
 * resource once; resources already covered by `except` are left out.
 */
export function rulesFor(resources: ResourceRef[], verbs: string[], except: ResourceRef[] = []): V1PolicyRule[] {
  const covered = new Set(except.map((ref) => `${ref.resource}.${ref.group}`));
  const byGroup = new Map<string, string[]>();
  for (const ref of resources) {
    const key = `${ref.resource}.${ref.group}`;
    if (covered.has(key)) continue;
    covered.add(key);
    byGroup.set(ref.group, [...(byGroup.get(ref.group) ?? []), ref.resource]);
  }
  return [...byGroup].map(([group, names]) => ({ apiGroups: [group], resources: names, verbs: [...verbs] }));
}

/** The agent's cluster-wide rules for the rendered kinds, and its read access to CRDs (which module kinds are served yet). */
export function renderedKindRules(): V1PolicyRule[] {
  return [
    ...rulesFor(renderedResources(), MANAGE_VERBS),
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch'] },
  ];
}

/** The agent's cluster-wide rules for the kinds of the fleet's plain manifests (those the renderer does not already cover). */
export function manifestKindRules(manifestResources: ResourceRef[]): V1PolicyRule[] {
  return rulesFor(manifestResources, MANAGE_VERBS, renderedResources());
}

/** In its own namespace only: the inventory ConfigMaps, the agent's events, and leases. */
export function ownNamespaceRules(): V1PolicyRule[] {
  return [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ];
}
