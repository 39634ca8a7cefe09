import type { ConfigProblem } from '../config/errors.js';
import { checkAgainstCrd, uncompilableCrds, type CrdSchemas } from '../config/crds.js';
import type { Fleet } from '../config/model.js';
import { formatPath, problemAt } from '../config/source.js';
import type { SchemaViolation } from '../config/validate.js';
import { describeRef, refOf, type RenderResult, type RenderedObject } from '../objects.js';

/**
 * A problem with a rendered object, shown where it can be fixed: at the field of the plain
 * manifest it came from, or at the document that rendered it (naming the object's field).
 */
export function objectProblem(fleet: Fleet, rendered: RenderedObject, cluster: string, violation: SchemaViolation): ConfigProblem {
  const { file, document } = rendered.source;
  for (const manifests of fleet.manifests.values()) {
    const manifest = manifests.find((candidate) => candidate.source.file === file && candidate.label === document);
    if (manifest) return { ...problemAt(manifest.source, violation.code, violation.path, violation.found, violation.expected), clusters: [cluster] };
  }
  const found = `${describeRef(refOf(rendered.object))} ${formatPath(violation.path)}: ${violation.found}`;
  const typed = Object.values(fleet.documents).flat().find((candidate) => candidate.source.file === file && `${candidate.kind}/${candidate.name}` === document);
  if (typed) return { ...problemAt(typed.source, violation.code, [], found, violation.expected), clusters: [cluster] };
  return { code: violation.code, file, line: 1, column: 1, path: '', found, expected: violation.expected, clusters: [cluster] };
}

/** Every rendered object of a kind `schemas` has a CRD for, checked against it; a CRD schema that cannot be compiled is a problem of its file. */
export function checkRenderedAgainstCrds(fleet: Fleet, results: Map<string, RenderResult>, schemas: CrdSchemas): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [cluster, result] of results) {
    for (const rendered of result.objects) {
      for (const violation of checkAgainstCrd(rendered.object, schemas)) problems.push(objectProblem(fleet, rendered, cluster, violation));
    }
  }
  return [...problems, ...uncompilableCrds(schemas)];
}
