import { groupOf, type RenderedObject } from '../objects.js';

/**
 * Apply order the agent relies on: ModuleConfig first (it enables the modules whose CRDs
 * the rest needs), then CRDs, Namespaces, other cluster-scoped objects, then namespaced
 * objects. Within a group: by kind, group, namespace, name.
 */
export function applyGroup(object: RenderedObject['object']): number {
  if (object.kind === 'ModuleConfig') return 0;
  if (object.kind === 'CustomResourceDefinition') return 1;
  if (object.kind === 'Namespace') return 2;
  return object.metadata.namespace ? 4 : 3;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortForApply(objects: RenderedObject[]): RenderedObject[] {
  return objects
    .map((rendered) => ({ rendered, group: applyGroup(rendered.object) }))
    .sort(
      (a, b) =>
        a.group - b.group ||
        compare(a.rendered.object.kind, b.rendered.object.kind) ||
        compare(groupOf(a.rendered.object.apiVersion), groupOf(b.rendered.object.apiVersion)) ||
        compare(a.rendered.object.metadata.namespace ?? '', b.rendered.object.metadata.namespace ?? '') ||
        compare(a.rendered.object.metadata.name, b.rendered.object.metadata.name),
    )
    .map(({ rendered }) => rendered);
}
