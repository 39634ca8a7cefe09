import { ConfigError, ProblemCode, UnknownClusterError, mergeAcrossClusters, type ConfigProblem } from '../config/errors.js';
import { checkFleet, loadFleet } from '../config/load.js';
import type { ClusterInfo, Fleet } from '../config/model.js';
import type { LoadOptions } from '../config/options.js';
import { problemAt } from '../config/source.js';
import {
  OWNER_LABEL,
  OWNER_VALUE,
  PRUNE_ANNOTATION,
  SOURCE_ANNOTATION,
  describeRef,
  objectId,
  refOf,
  type KubeObject,
  type RenderResult,
  type RenderedObject,
} from '../objects.js';
import type { RepoReader } from '../repo-reader.js';
import { compileEgress } from './compile/egress.js';
import { compileIngressProfile } from './compile/ingress.js';
import { compileManifestSet } from './compile/manifests.js';
import { compileMeshGroup, compileMeshSettings } from './compile/mesh.js';
import { assembleModuleConfigs } from './compile/module-config.js';
import { compilePolicySet } from './compile/policy-set.js';
import { compileCniSettings, compileDnsSettings, compileGlobalSettings } from './compile/settings.js';
import { RenderContext, describeOrigin, sourceRef, type Emitted } from './context.js';
import { effective, targets } from './effective.js';
import { contentHash, setHash } from './hash.js';
import { sortForApply } from './order.js';

/** Runs every compiler for one cluster; problems are collected on the context. */
function compileCluster(fleet: Fleet, cluster: ClusterInfo): RenderContext {
  const context = new RenderContext(fleet, cluster);
  const { documents } = fleet;
  compileGlobalSettings(context, cluster);
  const each = <K extends 'IngressProfile' | 'Egress' | 'PolicySet' | 'MeshSettings' | 'DNSSettings' | 'CNISettings'>(
    kind: K,
    compile: (context: RenderContext, resolved: NonNullable<ReturnType<typeof effective<K>>>) => void,
  ) => {
    for (const typed of documents[kind]) {
      if (!targets(typed, cluster)) continue;
      const resolved = effective(context, typed);
      if (resolved) compile(context, resolved);
    }
  };
  each('IngressProfile', compileIngressProfile);
  each('Egress', compileEgress);
  each('PolicySet', compilePolicySet);
  each('MeshSettings', compileMeshSettings);
  each('DNSSettings', compileDnsSettings);
  each('CNISettings', compileCniSettings);
  for (const group of documents.MeshGroup) compileMeshGroup(context, group);
  for (const set of documents.ManifestSet) if (targets(set, cluster)) compileManifestSet(context, set);
  assembleModuleConfigs(context);
  return context;
}

/** Adds the owner label and source annotation, and hashes the result. */
function finish({ object, origin }: Emitted): RenderedObject {
  // A merged ModuleConfig names every document that configures it, so none is a surprise.
  const annotations: Record<string, string> = { ...object.metadata.annotations, [SOURCE_ANNOTATION]: (origin.contributors ?? [sourceRef(origin)]).join(', ') };
  if (!origin.policy.prune) annotations[PRUNE_ANNOTATION] = 'disabled';
  const final: KubeObject = {
    ...object,
    metadata: { ...object.metadata, labels: { ...object.metadata.labels, [OWNER_LABEL]: OWNER_VALUE }, annotations },
  };
  return {
    id: objectId(refOf(final)),
    object: final,
    hash: contentHash(final),
    source: { file: origin.source.file, document: origin.document },
    policy: { ...origin.policy, ignore: [...origin.policy.ignore] },
  };
}

function renderCluster(fleet: Fleet, cluster: ClusterInfo): { result: RenderResult; problems: ConfigProblem[] } {
  const context = compileCluster(fleet, cluster);
  const problems = context.problems;
  const byId = new Map<string, Emitted>();
  const objects: RenderedObject[] = [];
  for (const emitted of context.emitted) {
    const rendered = finish(emitted);
    const previous = byId.get(rendered.id);
    if (previous) {
      problems.push({
        ...problemAt(
          emitted.origin.source,
          ProblemCode.DuplicateObject,
          [],
          `${describeRef(refOf(rendered.object))} from ${describeOrigin(emitted.origin)}, also rendered from ${describeOrigin(previous.origin)} in ${previous.origin.source.file}`,
          'each object rendered by one document only',
        ),
        clusters: [cluster.name],
      });
      continue;
    }
    byId.set(rendered.id, emitted);
    objects.push(rendered);
  }
  const ordered = sortForApply(objects);
  return { result: { cluster: cluster.name, objects: ordered, hash: setHash(ordered) }, problems };
}

/**
 * Renders the objects one cluster should contain, in apply order. Throws a ConfigError
 * with every problem found for that cluster, so nothing half-rendered is ever applied.
 */
export function render(fleet: Fleet, clusterName: string): RenderResult {
  const cluster = fleet.clusters.get(clusterName);
  if (!cluster) throw new UnknownClusterError(clusterName, [...fleet.clusters.keys()]);
  const { result, problems } = renderCluster(fleet, cluster);
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

/** Renders every cluster. Clusters with problems have no result; their problems are listed. */
export function renderFleet(fleet: Fleet): { results: Map<string, RenderResult>; problems: ConfigProblem[] } {
  const results = new Map<string, RenderResult>();
  const problems: ConfigProblem[] = [];
  for (const cluster of fleet.clusters.values()) {
    const rendered = renderCluster(fleet, cluster);
    if (rendered.problems.length > 0) problems.push(...rendered.problems);
    else results.set(cluster.name, rendered.result);
  }
  return { results, problems };
}

/** Loads a repository and renders every cluster; throws a ConfigError when loading fails. */
export async function renderRepository(
  reader: RepoReader,
  options: Partial<LoadOptions> = {},
): Promise<{ fleet: Fleet; results: Map<string, RenderResult>; problems: ConfigProblem[] }> {
  const fleet = await loadFleet(reader, options);
  return { fleet, ...renderFleet(fleet) };
}

/**
 * Everything `netfleet validate` reports: the repository's problems and those of rendering
 * every valid cluster from its valid documents, each problem once (naming the clusters it
 * shows up for). `results` has the clusters that rendered without problems; `rendered` has
 * every cluster, without the objects that had problems, for checks of the objects themselves.
 */
export async function validateRepository(
  reader: RepoReader,
  options: Partial<LoadOptions> = {},
): Promise<{ fleet: Fleet; results: Map<string, RenderResult>; rendered: Map<string, RenderResult>; problems: ConfigProblem[] }> {
  const { fleet, problems } = await checkFleet(reader, options);
  const results = new Map<string, RenderResult>();
  const rendered = new Map<string, RenderResult>();
  for (const cluster of fleet.clusters.values()) {
    const { result, problems: clusterProblems } = renderCluster(fleet, cluster);
    rendered.set(cluster.name, result);
    if (clusterProblems.length > 0) problems.push(...clusterProblems);
    else results.set(cluster.name, result);
  }
  return { fleet, results, rendered, problems: mergeAcrossClusters(problems) };
}

/**
 * Loads a repository and renders one cluster, as an agent does for itself: throws a
 * ConfigError (load or render problems) or an UnknownClusterError, never a partial result.
 */
export async function renderClusterFromRepository(reader: RepoReader, cluster: string, options: Partial<LoadOptions> = {}): Promise<RenderResult> {
  return render(await loadFleet(reader, options), cluster);
}
