import type { ApplyPolicy, KubeObject } from '../objects.js';
import type { ConfigProblem, ProblemCode } from '../config/errors.js';
import type { ClusterInfo, Fleet } from '../config/model.js';
import { problemAt, type FieldPath, type SourceDocument } from '../config/source.js';
import { knownVariables } from '../config/substitute.js';

/** Where an output object came from, for its annotation and for problems about it. */
export interface Origin {
  source: SourceDocument;
  /** `Kind/name` of the document (or of the manifest) that produced the object. */
  document: string;
  policy: ApplyPolicy;
  /** The document that included a plain manifest (`ManifestSet/<name>`). */
  via?: string;
  /** Every document an object merges (a ModuleConfig several documents configure), as `file#Kind/name`. */
  contributors?: string[];
}

/** `file#Kind/name`: how the source annotation names a document. */
export function sourceRef(origin: Pick<Origin, 'source' | 'document'>): string {
  return `${origin.source.file}#${origin.document}`;
}

/** `Kind/name`, with the including document for manifests. */
export function describeOrigin(origin: Origin): string {
  return origin.via ? `${origin.document} (via ${origin.via})` : origin.document;
}

/** An object a compiler produced, before labels, hashes and ordering. */
export interface Emitted {
  object: KubeObject;
  origin: Origin;
}

/** Settings one document wants in one module's ModuleConfig. */
export interface ModuleContribution {
  module: string;
  enabled: boolean | undefined;
  settings: Record<string, unknown>;
  origin: Origin;
  /** Settings documents win the primary place (their policy, their source first). */
  primary: boolean;
}

const knownVariablesOf = new WeakMap<Fleet, string>();

/** What compilers write to while rendering one cluster. */
export class RenderContext {
  readonly emitted: Emitted[] = [];
  readonly contributions: ModuleContribution[] = [];
  readonly problems: ConfigProblem[] = [];

  constructor(
    readonly fleet: Fleet,
    readonly cluster: ClusterInfo,
  ) {}

  /** What `${...}` may name anywhere in the fleet, for unknown-variable problems. */
  get knownVariables(): string {
    let known = knownVariablesOf.get(this.fleet);
    if (known === undefined) {
      known = knownVariables(this.fleet.clusters.values());
      knownVariablesOf.set(this.fleet, known);
    }
    return known;
  }

  emit(object: KubeObject, origin: Origin): void {
    this.emitted.push({ object, origin });
  }

  contribute(contribution: ModuleContribution): void {
    this.contributions.push(contribution);
  }

  problem(origin: Origin, code: ProblemCode, path: FieldPath, found: string, expected: string): void {
    this.problems.push({ ...problemAt(origin.source, code, path, found, expected), clusters: [this.cluster.name] });
  }
}

/** Drops undefined fields so output objects carry only what was set. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** Metadata with a name and, for namespaced objects, a namespace. */
export function metadataOf(name: string, namespace?: string): KubeObject['metadata'] {
  return namespace === undefined ? { name } : { name, namespace };
}
