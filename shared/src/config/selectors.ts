import { ProblemCode } from './errors.js';
import type { ClusterSelector } from './kinds/index.js';
import type { ClusterInfo } from './model.js';
import type { FieldPath } from './source.js';
import type { SchemaViolation } from './validate.js';

/** True when every field of the selector matches the cluster (fields AND, entries OR; `all` alone matches all). */
export function selects(selector: ClusterSelector, cluster: Pick<ClusterInfo, 'name' | 'region' | 'labels'>): boolean {
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
export function checkSelector(selector: ClusterSelector, at: FieldPath, clusters: Map<string, ClusterInfo>, regions: Set<string>): SchemaViolation[] {
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
  if (selector.all && Object.keys(selector).length > 1) {
    violations.push({ code: ProblemCode.BadSelector, path: [...at, 'all'], found: 'all: true with other fields', expected: 'all: true alone, or other fields without it' });
  }
  return violations;
}
