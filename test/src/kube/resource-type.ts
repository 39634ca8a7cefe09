/** What the server knows about one served resource (a built-in kind or a CRD version). */
import type { FieldError } from './status.js';
import type { JsonObject } from './json.js';
import type { Schema } from './schema.js';
import type { NameRule } from './object-meta.js';

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** The schema of the whole object at this version (metadata included). */
  schema: Schema;
  /** Has a `/status` subresource: the main endpoint ignores status, `/status` ignores the rest. */
  statusSubresource: boolean;
  /** Keeps `metadata.generation`, bumped when anything but metadata and status changes. */
  tracksGeneration: boolean;
  /** The rule `metadata.name` follows; a DNS subdomain when absent. */
  nameRule?: NameRule;
  /** Sent as a `Warning` on every request to this version (CRD versions marked deprecated). */
  deprecationWarning?: string;
  /** The CRD serving this type, if any. */
  crdName?: string;
  /** Server-side defaulting beyond the schema (cluster IP allocation, ...); runs on every write. */
  prepare?: (object: JsonObject, previous: JsonObject | undefined) => void;
  /**
   * Removes undeclared fields the schema cannot describe (JSONSchemaProps inside a CRD) and
   * returns their paths, like the schema-driven pruning does.
   */
  pruneUndeclared?: (object: JsonObject) => string[];
  /** Validation beyond the schema; field paths as kube-apiserver reports them. */
  validate?: (object: JsonObject, previous: JsonObject | undefined) => FieldError[];
}

export const READ_WRITE_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The key objects of one resource are stored under, shared by all its versions. */
export function storageKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${type.group}/${type.plural}`;
}
