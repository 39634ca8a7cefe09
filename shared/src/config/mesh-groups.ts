import { ProblemCode, type ConfigProblem } from './errors.js';
import type { ClusterInfo, MeshGroup, TypedDocument } from './model.js';
import type { Selectable } from './selectors.js';
import { problemAt } from './source.js';

/**
 * Mesh rules from the DKP docs: every member must exist; federation needs a distinct
 * clusterDomain per member (it is the trust domain); multicluster needs the same one.
 */
export function checkMeshGroup({ source, document }: TypedDocument<'MeshGroup'>, clusters: Map<string, ClusterInfo>, known: ReadonlyMap<string, Selectable>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const members = document.spec.members;
  const seenDomains = new Map<string, string>();
  members.forEach((name, index) => {
    const cluster = clusters.get(name);
    const at = ['spec', 'members', index];
    if (!cluster) {
      // A member whose Cluster document is invalid is reported there, not here.
      if (!known.has(name)) problems.push(problemAt(source, ProblemCode.UnknownCluster, at, JSON.stringify(name), 'the name of a cluster in the inventory'));
      return;
    }
    if (document.spec.type === 'federation') {
      const other = seenDomains.get(cluster.clusterDomain);
      if (other) {
        problems.push(problemAt(source, ProblemCode.MeshDomain, at, `clusterDomain ${JSON.stringify(cluster.clusterDomain)} also used by member ${other}`, 'federation members with distinct clusterDomains'));
      }
      seenDomains.set(cluster.clusterDomain, name);
    } else {
      const first = clusters.get(members[0]!);
      if (first && first.clusterDomain !== cluster.clusterDomain) {
        problems.push(problemAt(source, ProblemCode.MeshDomain, at, `clusterDomain ${JSON.stringify(cluster.clusterDomain)}`, `the clusterDomain of ${first.name}, ${JSON.stringify(first.clusterDomain)} (multicluster members share one)`));
      }
    }
  });
  if (document.spec.enableIngressGateway !== undefined && document.spec.type !== 'multicluster') {
    problems.push(problemAt(source, ProblemCode.InvalidValue, ['spec', 'enableIngressGateway'], 'enableIngressGateway in a federation group', 'enableIngressGateway only with type: multicluster'));
  }
  return problems;
}

/** The typed value the hub reads: which clusters must be linked, and how. */
export function meshGroupValue({ source, document }: TypedDocument<'MeshGroup'>): MeshGroup {
  return {
    name: document.metadata.name,
    type: document.spec.type,
    members: [...document.spec.members],
    source: { file: source.file, document: `MeshGroup/${document.metadata.name}` },
  };
}
