import { ProblemCode } from '../../config/errors.js';
import type { TypedDocument } from '../../config/model.js';
import { substitute } from '../../config/substitute.js';
import type { SchemaViolation } from '../../config/validate.js';
import { problemAt } from '../../config/source.js';
import { PRUNE_ANNOTATION, type KubeObject } from '../../objects.js';
import type { RenderContext } from '../context.js';
import { effective } from '../effective.js';

/** Built-in kinds that are always namespaced: a manifest of one without a namespace is a mistake. */
const NAMESPACED_KINDS = new Set([
  'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Endpoints', 'Pod', 'Deployment', 'DaemonSet', 'StatefulSet',
  'Job', 'CronJob', 'Role', 'RoleBinding', 'NetworkPolicy', 'Ingress', 'CiliumNetworkPolicy', 'PeerAuthentication',
  'ServiceEntry', 'DestinationRule', 'VirtualService', 'Gateway',
]);

/** ManifestSet → its folder's manifests, with variables substituted for the cluster. */
export function compileManifestSet(context: RenderContext, typed: TypedDocument<'ManifestSet'>): void {
  const resolved = effective(context, typed);
  if (!resolved) return;
  for (const manifest of context.fleet.manifests.get(typed.name) ?? []) {
    const violations: SchemaViolation[] = [];
    const object = substitute(manifest.object, context.cluster, violations, [], context.knownVariables) as KubeObject;
    const metadata = object.metadata;
    if (NAMESPACED_KINDS.has(object.kind) && typeof metadata.namespace !== 'string') {
      violations.push({ code: ProblemCode.InvalidManifest, path: ['metadata'], found: `a ${object.kind} without metadata.namespace`, expected: `metadata.namespace (${object.kind} is namespaced)` });
    }
    if (violations.length > 0) {
      for (const v of violations) context.problems.push({ ...problemAt(manifest.source, v.code, v.path, v.found, v.expected), clusters: [context.cluster.name] });
      continue;
    }
    const protectedFromPrune = metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled';
    const policy = protectedFromPrune ? { ...resolved.origin.policy, prune: false } : resolved.origin.policy;
    context.emit(object, { source: manifest.source, document: manifest.label, policy, via: resolved.origin.document });
  }
}
