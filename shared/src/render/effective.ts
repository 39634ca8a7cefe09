import type { ApplyPolicy } from '../objects.js';
import { KINDS, type DocumentOf, type KindName, type Override, type PolicyFields } from '../config/kinds/index.js';
import { deepMerge } from '../config/merge.js';
import { DEFAULT_APPLY_POLICY, type ClusterInfo, type TypedDocument } from '../config/model.js';
import { selects } from '../config/selectors.js';
import { problemAt } from '../config/source.js';
import { substitute } from '../config/substitute.js';
import { validateSchema, type SchemaViolation } from '../config/validate.js';
import type { Origin, RenderContext } from './context.js';

type SpecOf<K extends KindName> = DocumentOf<K>['spec'];

/** A document as it applies to one cluster: overrides merged, variables substituted, re-validated. */
export interface Effective<K extends KindName> {
  name: string;
  spec: SpecOf<K>;
  origin: Origin;
}

/** `fields` over `base`, field by field. */
export function mergePolicy(base: ApplyPolicy, fields: PolicyFields | undefined): ApplyPolicy {
  if (!fields) return base;
  return {
    force: fields.force ?? base.force,
    drift: fields.drift ?? base.drift,
    ignore: fields.ignore ?? base.ignore,
    prune: fields.prune ?? base.prune,
    recreate: fields.recreate ?? base.recreate,
  };
}

/** True when the document's `targets` select the cluster (documents without targets apply everywhere). */
export function targets(typed: TypedDocument, cluster: ClusterInfo): boolean {
  const selector = (typed.document as { targets?: Parameters<typeof selects>[0] }).targets;
  return selector === undefined || selects(selector, cluster);
}

/**
 * Applies the matching overrides (in order) and substitutes variables. Problems are
 * reported at the override that set the field when there is one.
 */
export function effective<K extends KindName>(context: RenderContext, typed: TypedDocument<K>): Effective<K> | undefined {
  const document = typed.document as DocumentOf<K> & { overrides?: Override[]; policy?: PolicyFields };
  const matching = (document.overrides ?? [])
    .map((override, index) => ({ override, index }))
    .filter(({ override }) => selects(override.targets, context.cluster));
  let spec: unknown = document.spec;
  let policy = mergePolicy(DEFAULT_APPLY_POLICY, document.policy);
  for (const { override } of matching) {
    if (override.spec) spec = deepMerge(spec, override.spec);
    policy = mergePolicy(policy, override.policy);
  }
  const origin: Origin = {
    source: typed.source,
    document: `${typed.kind}/${typed.name}`,
    policy,
  };
  const violations: SchemaViolation[] = [];
  spec = substitute(spec, context.cluster, violations, [], context.knownVariables);
  // The loader validated the document's own spec; only a spec that overrides or variables
  // changed (a new object: substitution copies only what it changes) needs checking again.
  // Fields holding an unknown variable would only fail their type check again.
  if (violations.length === 0 && spec !== document.spec) violations.push(...validateSchema(KINDS[typed.kind].spec, spec));
  for (const v of violations) {
    const setBy = [...matching].reverse().find(({ index }) => typed.source.has(['overrides', index, 'spec', ...v.path]));
    const located = setBy ? ['overrides', setBy.index, 'spec', ...v.path] : ['spec', ...v.path];
    context.problems.push({ ...problemAt(typed.source, v.code, located, v.found, v.expected), clusters: [context.cluster.name] });
  }
  if (violations.length > 0) return undefined;
  return { name: typed.name, spec: spec as SpecOf<K>, origin };
}
