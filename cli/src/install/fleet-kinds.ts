import { FsRepoReader, NetfleetError, groupOf, renderRepository } from '@netfleet/shared';
import { DKP_RESOURCES } from '@netfleet/shared/dkp/resources';
import { guessResource, type ResourceRef } from './rbac.js';

/**
 * The resources of every object the fleet in `dir` renders for any of its clusters, plain
 * manifests included. DKP kinds take their plural from netfleet's definitions; other kinds
 * are guessed as kube-apiserver guesses them.
 */
export async function fleetResources(dir: string): Promise<ResourceRef[]> {
  const { results, problems } = await renderRepository(new FsRepoReader(dir));
  if (results.size === 0) {
    throw new NetfleetError('CLI_FLEET_UNREADABLE', `${dir}: no cluster of this fleet renders (${problems.length} problem(s))`, {
      hint: `run \`netfleet validate --repo ${dir}\` to see them, or name the kinds with --manifest-kinds`,
    });
  }
  const known = new Map(DKP_RESOURCES.map((resource) => [`${resource.group}/${resource.kind}`, resource.plural]));
  const resources = new Map<string, ResourceRef>();
  for (const result of results.values()) {
    for (const { object } of result.objects) {
      const group = groupOf(object.apiVersion);
      const resource = known.get(`${group}/${object.kind}`) ?? guessResource(object.kind);
      resources.set(`${resource}.${group}`, { group, resource });
    }
  }
  return [...resources.values()].sort((a, b) => a.group.localeCompare(b.group) || a.resource.localeCompare(b.resource));
}
