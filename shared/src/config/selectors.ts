import { ProblemCode } from './errors.js';
import type { ClusterSelector } from './kinds/index.js';
import type { ClusterInfo } from './model.js';
import type { FieldPath } from './source.js';
import type { SchemaViolation } from './validate.js';

/** What a selector looks at: a cluster of the inventory, or what is known of an invalid Cluster document. */
export type Selectable = Pick<ClusterInfo, 'name' | 'region' | 'labels'>;

/**
 * True when every field of the selector matches the cluster (fields AND, entries OR; `all`
 * alone matches all). `allowEmpty` only says the selector may match nothing.
 */
export function selects(selector: ClusterSelector, cluster: Selectable): boolean {
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.regions && !selector.regions.includes(cluster.region)) return false;
  if (selector.matchLabels) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      if (cluster.labels[key] !== value) return false;
    }
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const value = cluster.labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

/**
 * Checks what the schema cannot: names and regions that exist in the inventory, and
 * expression operators used with (or without) values as Kubernetes requires.
 */
export function checkSelector(selector: ClusterSelector, at: FieldPath, clusters: ReadonlyMap<string, Selectable>, regions: ReadonlySet<string>): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  selector.names?.forEach((name, index) => {
    if (!clusters.has(name)) {
      violations.push({ code: ProblemCode.UnknownCluster, path: [...at, 'names', index], found: JSON.stringify(name), expected: 'the name of a cluster in the inventory' });
    }
  });
  selector.regions?.forEach((region, index) => {
    if (!regions.has(region)) {
      violations.push({ code: ProblemCode.UnknownRegion, path: [...at, 'regions', index], found: JSON.stringify(region), expected: `a region of the inventory: ${[...regions].sort().join(', ')}` });
    }
  });
  selector.matchExpressions?.forEach((requirement, index) => {
    const count = requirement.values?.length ?? 0;
    const needsValues = requirement.operator === 'In' || requirement.operator === 'NotIn';
    if (needsValues && count === 0) {
      violations.push({ code: ProblemCode.BadSelector, path: [...at, 'matchExpressions', index], found: `operator ${requirement.operator} without values`, expected: `at least one value for ${requirement.operator}` });
    } else if (!needsValues && count > 0) {
      violations.push({ code: ProblemCode.BadSelector, path: [...at, 'matchExpressions', index, 'values'], found: `${count} values with operator ${requirement.operator}`, expected: `no values for ${requirement.operator}` });
    }
  });
  if (selector.all && Object.keys(selector).some((field) => field !== 'all' && field !== 'allowEmpty')) {
    violations.push({ code: ProblemCode.BadSelector, path: [...at, 'all'], found: 'all: true with other fields', expected: 'all: true alone, or other fields without it' });
  }
  if (Object.keys(selector).every((field) => field === 'allowEmpty')) {
    violations.push({ code: ProblemCode.BadSelector, path: at, found: 'only allowEmpty', expected: 'a selector with at least one of all, names, regions, matchLabels, matchExpressions' });
  }
  return violations;
}

const MAX_NAMED = 5;

/**
 * A selector that matches none of `candidates` is almost always a typo (`env: production`
 * for `env: prod`), and with pruning on it deletes objects everywhere, so it is an error
 * unless the selector says `allowEmpty: true`. `scope` says what the candidates are.
 */
export function checkSelectsSome(selector: ClusterSelector, at: FieldPath, candidates: readonly Selectable[], scope: string): SchemaViolation[] {
  if (selector.allowEmpty || candidates.some((cluster) => selects(selector, cluster))) return [];
  return [{ code: ProblemCode.SelectsNothing, path: at, found: `a selector that matches none of ${scope}${whyNothing(selector, candidates)}`, expected: 'a selector that matches at least one cluster, or allowEmpty: true if it may match none' }];
}

/** The first field that alone matches nothing, with the values the clusters do have. */
function whyNothing(selector: ClusterSelector, candidates: readonly Selectable[]): string {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (candidates.some((cluster) => cluster.labels[key] === value)) continue;
    const present = [...new Set(candidates.map((cluster) => cluster.labels[key]).filter((v) => v !== undefined))].sort();
    const have = present.length === 0 ? `no cluster has label ${key}` : `label ${key} is ${present.slice(0, MAX_NAMED).join(', ')}${present.length > MAX_NAMED ? ', …' : ''}`;
    return ` (matchLabels ${key}: ${value}; ${have})`;
  }
  const fields = Object.keys(selector).filter((field) => field !== 'allowEmpty' && field !== 'all');
  for (const field of fields) {
    const alone = { [field]: selector[field as keyof ClusterSelector] } as ClusterSelector;
    if (!candidates.some((cluster) => selects(alone, cluster))) return ` (${field} alone matches none)`;
  }
  return fields.length > 1 ? ` (each of ${fields.join(', ')} matches some, together none)` : '';
}
