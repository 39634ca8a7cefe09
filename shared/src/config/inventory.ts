import { ProblemCode, type ConfigProblem } from './errors.js';
import type { ClusterInfo, TypedDocument } from './model.js';
import { problemAt } from './source.js';

/**
 * Builds the inventory from the Cluster documents and checks the rules that span it:
 * unique names, and unique public domains (peers find a cluster by its domain).
 */
export function buildInventory(documents: TypedDocument<'Cluster'>[]): { clusters: Map<string, ClusterInfo>; problems: ConfigProblem[] } {
  const clusters = new Map<string, ClusterInfo>();
  const problems: ConfigProblem[] = [];
  const byDomain = new Map<string, ClusterInfo>();
  for (const { source, document } of documents) {
    const name = document.metadata.name;
    const existing = clusters.get(name);
    if (existing) {
      problems.push(problemAt(source, ProblemCode.DuplicateName, ['metadata', 'name'], JSON.stringify(name), `a name not already used by the Cluster in ${where(existing)}`));
      continue;
    }
    const cluster: ClusterInfo = {
      name,
      region: document.spec.region,
      labels: document.metadata.labels ?? {},
      publicDomain: document.spec.publicDomain,
      clusterDomain: document.spec.clusterDomain,
      vars: document.spec.vars ?? {},
      source,
    };
    const sameDomain = byDomain.get(cluster.publicDomain);
    if (sameDomain) {
      problems.push(
        problemAt(source, ProblemCode.DuplicateDomain, ['spec', 'publicDomain'], JSON.stringify(cluster.publicDomain), `a public domain not already used by cluster ${sameDomain.name} (${where(sameDomain)})`),
      );
    } else {
      byDomain.set(cluster.publicDomain, cluster);
    }
    clusters.set(name, cluster);
  }
  return { clusters: new Map([...clusters].sort(([a], [b]) => (a < b ? -1 : 1))), problems };
}

function where(cluster: { source: { file: string; locate: (path: string[]) => { line: number } } }): string {
  return `${cluster.source.file}:${cluster.source.locate(['metadata', 'name']).line}`;
}
