/**
 * Kubernetes object shapes shared by the renderer, the agent's apply engine and the
 * report protocol. Only the fields netfleet reads are typed; the rest passes through.
 */

/** A Kubernetes object as a plain JSON value. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** What identifies an object in a cluster: group, kind, namespace and name. */
export interface ObjectRef {
  /** API group; '' for the core group. */
  group: string;
  kind: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** The API group of an `apiVersion` such as `deckhouse.io/v1alpha1` ('' for `v1`). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace ?? '',
    name: object.metadata.name,
  };
}

/**
 * The stable inventory id of an object: `group_kind_namespace_name`
 * (the form Flux's inventory uses). Unique within one cluster.
 */
export function objectId(ref: ObjectRef): string {
  return `${ref.group}_${ref.kind}_${ref.namespace}_${ref.name}`;
}

export function parseObjectId(id: string): ObjectRef {
  const parts = id.split('_');
  if (parts.length !== 4) throw new Error(`not an object id: ${id}`);
  const [group, kind, namespace, name] = parts as [string, string, string, string];
  return { group, kind, namespace, name };
}

/** A human-readable name: `Kind/namespace/name` or `Kind/name`. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** How the agent treats one rendered object; set by the document that produced it. */
export interface ApplyPolicy {
  /** Take over fields another field manager owns (server-side apply `force`). */
  force: boolean;
  /** `correct` re-applies drifted objects at once; `alert` only reports them. */
  drift: 'correct' | 'alert';
  /** JSON pointers (RFC 6901) into the object whose differences are never drift. */
  ignore: string[];
  /** False keeps the object in the cluster when it leaves the repository. */
  prune: boolean;
  /**
   * Delete and re-create the object when the API server refuses a change because a field
   * is immutable (like Flux's `force`); false fails the sync naming the field.
   */
  recreate: boolean;
}

/** One object the renderer produced for a cluster. */
export interface RenderedObject {
  /** `objectId(refOf(object))`. */
  id: string;
  object: KubeObject;
  /** sha256 (hex) of the object's canonical JSON. */
  hash: string;
  /** The repository file and document that produced it. */
  source: { file: string; document: string };
  policy: ApplyPolicy;
}

/** Everything one cluster should contain, in apply order. */
export interface RenderResult {
  cluster: string;
  objects: RenderedObject[];
  /** sha256 (hex) over the ordered object hashes: equal sets, equal hash. */
  hash: string;
}

/** Labels and annotations netfleet puts on every object it renders. */
export const OWNER_LABEL = 'app.kubernetes.io/managed-by';
export const OWNER_VALUE = 'netfleet';
export const SOURCE_ANNOTATION = 'netfleet.io/source';
/** Set to `disabled` on an object (in git or in the cluster) to keep it from being pruned. */
export const PRUNE_ANNOTATION = 'netfleet.io/prune';
