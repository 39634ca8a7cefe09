import type { Logger, RenderedObject } from '@netfleet/shared';
import type { PlanContext } from '../ssa/apply.js';
import type { ReconcilerDeps } from './reconcile.js';

/**
 * The objects of the revision applied last, looked up lazily (only a conflicting
 * `drift: alert` object needs them): this sync's own render when the revision did not
 * move, else that revision fetched and rendered once. Undefined when there is none or
 * it cannot be read (every conflict then counts as this revision's).
 */
export function previousObjects(deps: Pick<ReconcilerDeps, 'source' | 'render' | 'cluster'>, previousRevision: string, current: { revision: string; objects: RenderedObject[] }, log: Logger): PlanContext['previous'] {
  if (previousRevision === '') return undefined;
  let loaded: Promise<Map<string, RenderedObject>> | undefined;
  const load = async (): Promise<Map<string, RenderedObject>> => {
    if (previousRevision === current.revision) return new Map(current.objects.map((object) => [object.id, object]));
    if (!deps.source.fetchRevision) return new Map();
    try {
      const fetched = await deps.source.fetchRevision(previousRevision);
      const { objects } = await deps.render(fetched.reader, deps.cluster);
      return new Map(objects.map((object) => [object.id, object]));
    } catch (error) {
      log.warn({ previousRevision, err: error instanceof Error ? error.message : String(error) }, 'cannot render the revision applied last; every field conflict counts as this revision\'s');
      return new Map();
    }
  };
  return async (id) => (await (loaded ??= load())).get(id);
}
