import { ProblemCode } from './errors.js';
import type { ClusterInfo } from './model.js';
import type { FieldPath } from './source.js';
import type { SchemaViolation } from './validate.js';

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;
const CLUSTER_FIELDS = ['name', 'region', 'publicDomain', 'clusterDomain'] as const;

type Scalar = string | number | boolean;

function lookup(reference: string, cluster: ClusterInfo): Scalar | undefined {
  const [scope, ...rest] = reference.split('.');
  const key = rest.join('.');
  if (scope === 'vars') return Object.hasOwn(cluster.vars, key) ? cluster.vars[key] : undefined;
  if (scope !== 'cluster') return undefined;
  if (rest[0] === 'labels' && rest.length > 1) {
    const label = rest.slice(1).join('.');
    return Object.hasOwn(cluster.labels, label) ? cluster.labels[label] : undefined;
  }
  return (CLUSTER_FIELDS as readonly string[]).includes(key) ? cluster[key as (typeof CLUSTER_FIELDS)[number]] : undefined;
}

/**
 * What may be referenced, in the same words for every cluster (so one mistake is one
 * problem naming the clusters it reaches): the cluster fields, and the labels and vars
 * the inventory defines.
 */
export function knownVariables(clusters: Iterable<ClusterInfo>): string {
  const labels = new Set<string>();
  const vars = new Set<string>();
  for (const cluster of clusters) {
    Object.keys(cluster.labels).forEach((label) => labels.add(label));
    Object.keys(cluster.vars).forEach((name) => vars.add(name));
  }
  const names = [
    ...CLUSTER_FIELDS.map((field) => `cluster.${field}`),
    ...[...labels].sort().map((label) => `cluster.labels.${label}`),
    ...[...vars].sort().map((name) => `vars.${name}`),
  ];
  return `a variable every cluster the document renders for defines (in its Cluster document): ${names.join(', ')}`;
}

/**
 * Replaces `${cluster.name}`, `${cluster.region}`, `${cluster.publicDomain}`,
 * `${cluster.clusterDomain}`, `${cluster.labels.<key>}` and `${vars.<name>}` in every string
 * of `value`; `$${` writes a literal `${`. A string that is exactly one reference takes the
 * variable's type (so `replicas: ${vars.replicas}` stays a number). Substitution works on
 * parsed values, never on YAML text, so a value can never inject structure.
 */
export function substitute(value: unknown, cluster: ClusterInfo, violations: SchemaViolation[], path: (string | number)[] = [], known = knownVariables([cluster])): unknown {
  return walk(value, cluster, violations, [...path], known);
}

/** `path` is one stack pushed and popped on the way down; a violation copies it. */
function walk(value: unknown, cluster: ClusterInfo, violations: SchemaViolation[], path: (string | number)[], known: string): unknown {
  if (typeof value === 'string') return value.includes('$') ? substituteString(value, cluster, violations, path, known) : value;
  if (typeof value !== 'object' || value === null) return value;
  // Unchanged subtrees are returned as they are, so most of a document is never copied.
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      path.push(index);
      const replaced = walk(value[index], cluster, violations, path, known);
      path.pop();
      if (replaced !== value[index]) (copy ??= [...value])[index] = replaced;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    path.push(key);
    const replaced = walk(item, cluster, violations, path, known);
    path.pop();
    if (replaced !== item) (copy ??= { ...value })[key] = replaced;
  }
  return copy ?? value;
}

function substituteString(text: string, cluster: ClusterInfo, violations: SchemaViolation[], path: FieldPath, known: string): Scalar {
  const whole = /^\$\{([^}]*)\}$/.exec(text);
  if (whole) {
    const found = lookup(whole[1] ?? '', cluster);
    if (found !== undefined) return found;
  }
  return text.replace(REFERENCE, (match, escaped: string, reference: string) => {
    if (escaped) return match.slice(1);
    const found = lookup(reference, cluster);
    if (found === undefined) {
      violations.push({ code: ProblemCode.UnknownVariable, path: [...path], found: `\${${reference}}`, expected: known });
      return match;
    }
    return String(found);
  });
}
