/**
 * The resource verbs (get, list, create, update, patch incl. server-side apply, delete,
 * deletecollection) with kube-apiserver's order of steps on a write: decode and prune,
 * defaulting, optimistic concurrency, generation, validation, admission, field ownership,
 * dry run, storage.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { KubeStatusError, fieldErrors, qualifiedResource, statusErrors, type FieldError } from './status.js';
import { deepEqual, isObject, metadataOf, rfc3339Now, type JsonObject } from './json.js';
import { applyDefaults, pruneUnknownFields, validateValue } from './schema.js';
import { validateObjectMeta } from './object-meta.js';
import { recordApply, recordUpdate, type WriterIdentity, type WriteScope } from './managed-fields.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';
import type { ObjectStore } from './store.js';
import type { ResourceRegistry } from './registry.js';
import { ObjectRemover, deletedStatus, isCrd, isReleased } from './deletion.js';
import { TerminationControllers } from './termination.js';

/** The parts of a request the verbs need. */
export interface RequestContext {
  query: URLSearchParams;
  userAgent: string;
  /** Warnings for the `Warning` response header (unknown fields, ...). */
  warnings: string[];
}

/** A validating admission step (a webhook's decision); throws a KubeStatusError to deny. */
export type ValidatingAdmission = (request: {
  type: ResourceType;
  operation: 'CREATE' | 'UPDATE';
  object: JsonObject;
  oldObject?: JsonObject;
  warnings: string[];
}) => void;

export interface WriteResult {
  status: number;
  body: JsonObject;
}

type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

interface WriteOptions {
  dryRun: boolean;
  fieldValidation: FieldValidation;
  subresource?: string;
}

const APPLY_CONTENT_TYPES = ['application/apply-patch+yaml', 'application/apply-patch+cbor'];
const PATCH_CONTENT_TYPES = ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', ...APPLY_CONTENT_TYPES];

/** How many paginated lists keep their snapshot for the following pages. */
const LIST_SNAPSHOTS = 32;

export class ResourceHandlers {
  private readonly remover: ObjectRemover;
  /** The namespace controller and the CRD finalizer. */
  readonly terminations: TerminationControllers;
  private readonly listSnapshots = new Map<string, JsonObject[]>();

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly store: ObjectStore,
    private readonly admission: ValidatingAdmission[],
    terminationDelayMs: number,
  ) {
    this.remover = new ObjectRemover(registry, store);
    this.terminations = new TerminationControllers(registry, store, this.remover, terminationDelayMs);
  }

  /** An object as served at the requested version. */
  present(type: ResourceType, object: JsonObject): JsonObject {
    return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
  }

  get(type: ResourceType, namespace: string, name: string): JsonObject {
    const object = this.store.get(storageKey(type), namespace, name);
    if (!object) throw statusErrors.notFound(type.plural, type.group, name);
    return this.present(type, object);
  }

  /**
   * Lists like etcd: a paginated list serves every page from the state at its first page's
   * resourceVersion (kept for the last {@link LIST_SNAPSHOTS} paginated lists).
   */
  list(type: ResourceType, namespace: string | undefined, context: RequestContext): JsonObject {
    const labels = parseLabelSelector(context.query.get('labelSelector'));
    const fields = parseFieldSelector(context.query.get('fieldSelector'));
    const token = context.query.get('continue');
    const position = token ? this.decodeContinue(type, token) : undefined;
    const snapshotKey = (revision: number) => `${storageKey(type)}|${namespace ?? ''}|${revision}`;
    const snapshot = position ? this.listSnapshots.get(snapshotKey(position.revision)) : undefined;
    const revision = snapshot && position ? position.revision : this.store.currentRevision();
    const all = snapshot ?? this.store.list(storageKey(type), namespace);
    let items = all.filter((object) => labels(object) && fields(object));
    if (position) items = items.filter((object) => listKey(object) > position.start);
    const limit = Number(context.query.get('limit') ?? 0);
    const metadata: JsonObject = { resourceVersion: String(revision) };
    if (limit > 0 && items.length > limit) {
      const remaining = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: `${listKey(items[items.length - 1]!)}\u0000` })).toString('base64');
      if (!context.query.get('labelSelector') && !context.query.get('fieldSelector')) metadata.remainingItemCount = remaining;
      this.keepSnapshot(snapshotKey(revision), all);
    }
    const builtin = type.crdName === undefined;
    return {
      kind: type.listKind,
      apiVersion: apiVersionOf(type),
      metadata,
      items: items.map((object) => {
        const presented = this.present(type, object);
        if (builtin) {
          delete presented.apiVersion;
          delete presented.kind;
        }
        return presented;
      }),
    };
  }

  private keepSnapshot(key: string, objects: JsonObject[]): void {
    this.listSnapshots.delete(key);
    this.listSnapshots.set(key, objects);
    for (const oldest of this.listSnapshots.keys()) {
      if (this.listSnapshots.size <= LIST_SNAPSHOTS) break;
      this.listSnapshots.delete(oldest);
    }
  }

  private decodeContinue(type: ResourceType, token: string): { revision: number; start: string } {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    } catch {
      throw statusErrors.badRequest('continue key is not valid: illegal base64 data at input byte 0');
    }
    if (!isObject(decoded) || typeof decoded.start !== 'string' || typeof decoded.rv !== 'number') {
      throw statusErrors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    if (decoded.rv < this.store.oldestResumable(storageKey(type))) {
      throw statusErrors.expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    const start = decoded.start.endsWith('\u0000') ? decoded.start.slice(0, -1) : decoded.start;
    return { revision: decoded.rv, start };
  }

  create(type: ResourceType, namespace: string, body: unknown, context: RequestContext): WriteResult {
    this.refuseCreateWhileCrdTerminates(type);
    const options = writeOptions(context.query);
    const object = this.decodeBody(type, body, namespace);
    const metadata = metadataOf(object);
    this.admitNamespaceLifecycle(type, namespace, typeof metadata.name === 'string' && metadata.name ? metadata.name
      : typeof metadata.generateName === 'string' && metadata.generateName ? metadata.generateName : 'Unknown');
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== '') {
      throw statusErrors.badRequest('resourceVersion should not be set on objects to be created');
    }
    if (metadata.name === undefined && typeof metadata.generateName === 'string') {
      metadata.name = `${metadata.generateName}${randomUUID().replace(/-/g, '').slice(0, 5)}`;
    }
    if (typeof metadata.name !== 'string' || metadata.name === '') {
      throw statusErrors.invalid(type.kind, type.group, '', [fieldErrors.required('metadata.name', 'name or generateName is required')]);
    }
    const writer = this.updateWriter(type, context);
    const created = this.commit(type, namespace, metadata.name, undefined, object, options, context, (candidate) =>
      recordUpdate(undefined, candidate, type.schema, writer, scopeOf(type, options), rfc3339Now()));
    return { status: 201, body: created };
  }

  update(type: ResourceType, namespace: string, name: string, body: unknown, subresource: string | undefined, context: RequestContext): WriteResult {
    const options = { ...writeOptions(context.query), subresource };
    const object = this.decodeBody(type, body, namespace);
    const metadata = metadataOf(object);
    if (metadata.name !== name) {
      throw statusErrors.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`);
    }
    const live = this.store.get(storageKey(type), namespace, name);
    if (!live) throw statusErrors.notFound(type.plural, type.group, name);
    const sent = metadata.resourceVersion;
    if (sent === undefined || sent === '') {
      if (type.crdName !== undefined) {
        throw statusErrors.invalid(type.kind, type.group, name, [fieldErrors.invalid('metadata.resourceVersion', '0x0', 'must be specified for an update')]);
      }
    } else if (sent !== metadataOf(live).resourceVersion) {
      throw this.staleConflict(type, name);
    }
    const writer = this.updateWriter(type, context, subresource);
    const updated = this.commit(type, namespace, name, live, object, options, context, (candidate) =>
      recordUpdate(live, candidate, type.schema, writer, scopeOf(type, options), rfc3339Now()));
    return { status: 200, body: updated };
  }

  patch(
    type: ResourceType, namespace: string, name: string, body: string, contentType: string, subresource: string | undefined, context: RequestContext,
  ): WriteResult {
    const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
    if (!PATCH_CONTENT_TYPES.includes(mediaType)) throw statusErrors.unsupportedMediaType(contentType);
    const isApply = APPLY_CONTENT_TYPES.includes(mediaType);
    const options = { ...writeOptions(context.query), subresource };
    const force = context.query.get('force');
    if (!isApply && force !== null) {
      throw statusErrors.invalid('PatchOptions', 'meta.k8s.io', '', [fieldErrors.forbidden('force', 'may not be specified for non-apply patch')]);
    }
    if (isApply) return this.apply(type, namespace, name, body, options, force === 'true', context);
    if (mediaType === 'application/strategic-merge-patch+json' && type.crdName !== undefined) {
      throw statusErrors.unsupportedMediaType(contentType);
    }
    const live = this.store.get(storageKey(type), namespace, name);
    if (!live) throw statusErrors.notFound(type.plural, type.group, name);
    const patch = parseJson(body);
    const current = this.present(type, live);
    const patched = mediaType === 'application/json-patch+json' ? applyJsonPatch(current, patch)
      : mediaType === 'application/strategic-merge-patch+json' ? applyStrategicMergePatch(current, patch, type.schema)
        : applyMergePatch(current, patch);
    if (!isObject(patched)) throw statusErrors.badRequest('the patch did not produce an object');
    const sent = metadataOf(patched).resourceVersion;
    if (sent !== undefined && sent !== metadataOf(live).resourceVersion) throw this.staleConflict(type, name);
    const writer = this.updateWriter(type, context, subresource);
    const updated = this.commit(type, namespace, name, live, patched, options, context, (candidate) =>
      recordUpdate(live, candidate, type.schema, writer, scopeOf(type, options), rfc3339Now()));
    return { status: 200, body: updated };
  }

  private apply(
    type: ResourceType, namespace: string, name: string, body: string, options: WriteOptions, force: boolean, context: RequestContext,
  ): WriteResult {
    const manager = context.query.get('fieldManager');
    if (!manager) {
      throw statusErrors.invalid('PatchOptions', 'meta.k8s.io', '', [fieldErrors.required('fieldManager', 'is required for apply patch')]);
    }
    let config: unknown;
    try {
      config = body.trimStart().startsWith('{') ? JSON.parse(body) : parseYaml(body);
    } catch (error) {
      throw statusErrors.badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (!isObject(config)) throw statusErrors.badRequest('apply patch must be an object');
    requireTypeMeta(config, true);
    this.checkKind(type, config);
    const metadata = metadataOf(config);
    if (metadata.name !== undefined && metadata.name !== name) {
      throw statusErrors.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${name})`);
    }
    if (metadata.managedFields !== undefined) throw statusErrors.badRequest('metadata.managedFields must be nil');
    this.checkNamespace(metadata, namespace);
    const unknown = [...(type.pruneUndeclared?.(config) ?? []), ...pruneUnknownFields(config, type.schema)];
    // The field manager types the applied configuration before any fieldValidation applies.
    if (unknown.length > 0) throw statusErrors.typedPatch(type.group, type.version, type.kind, metadata, unknown.map((path) => `.${path}: field not declared in schema`));
    const live = this.store.get(storageKey(type), namespace, name);
    if (!live && options.subresource) throw statusErrors.notFound(type.plural, type.group, name);
    if (!live) this.admitNamespaceLifecycle(type, namespace, name);
    const sent = metadata.resourceVersion;
    if (live && sent !== undefined && sent !== metadataOf(live).resourceVersion) throw this.staleConflict(type, name);
    const writer: WriterIdentity = { manager, operation: 'Apply', apiVersion: apiVersionOf(type), ...(options.subresource ? { subresource: options.subresource } : {}) };
    const base = live ? this.present(type, live) : undefined;
    const applied = recordApply(base, config, type.schema, writer, scopeOf(type, options), force, rfc3339Now());
    if (live && !applied.changed) return { status: 200, body: this.present(type, live) };
    const candidate = applied.object;
    candidate.apiVersion = apiVersionOf(type);
    candidate.kind = type.kind;
    metadataOf(candidate).name = name;
    const result = this.commit(type, namespace, name, live, candidate, { ...options, fieldValidation: 'Ignore' }, context, (object) => object);
    return { status: live ? 200 : 201, body: result };
  }

  /** The steps every write shares, from pruning to storage. */
  private commit(
    type: ResourceType, namespace: string, name: string, live: JsonObject | undefined, input: JsonObject,
    options: WriteOptions, context: RequestContext, trackFields: (candidate: JsonObject) => JsonObject,
  ): JsonObject {
    if (!live && this.store.get(storageKey(type), namespace, name)) throw statusErrors.alreadyExists(type.plural, type.group, name);
    let candidate = structuredClone(input);
    candidate.apiVersion = apiVersionOf(type);
    candidate.kind = type.kind;
    const unknown = [...(type.pruneUndeclared?.(candidate) ?? []), ...pruneUnknownFields(candidate, type.schema)];
    if (unknown.length > 0 && options.fieldValidation === 'Strict') {
      throw statusErrors.badRequest(`strict decoding error: ${unknown.map((path) => `unknown field "${path}"`).join(', ')}`);
    }
    if (options.fieldValidation === 'Warn') context.warnings.push(...unknown.map((path) => `unknown field "${path}"`));
    candidate = this.resetIgnoredParts(type, live, candidate, options.subresource);
    this.carrySystemMetadata(type, namespace, name, live, candidate);
    applyDefaults(candidate, type.schema);
    type.prepare?.(candidate, live);
    this.setGeneration(type, live, candidate);
    const errors: FieldError[] = [
      ...validateObjectMeta(candidate, type.nameRule ?? 'subdomain'),
      ...validateValue(candidate, type.schema, '', live ? { oldValue: live } : {}),
      ...(type.validate?.(candidate, live) ?? []),
    ];
    if (errors.length > 0) throw statusErrors.invalid(type.kind, type.group, name, errors);
    for (const admit of this.admission) {
      admit({ type, operation: live ? 'UPDATE' : 'CREATE', object: candidate, ...(live ? { oldObject: live } : {}), warnings: context.warnings });
    }
    candidate = trackFields(candidate);
    if (live && deepEqual(withoutVolatile(live), withoutVolatile(candidate))) return this.present(type, live);
    if (options.dryRun) return this.present(type, candidate);
    if (live && isReleased(type, candidate)) {
      // The last finalizer is gone: kube-apiserver completes the pending deletion.
      return this.present(type, this.remover.remove(type, candidate));
    }
    this.afterWrite(type, candidate);
    return this.present(type, this.store.put(storageKey(type), candidate));
  }

  /** The main endpoint keeps the stored status; `/status` keeps everything but status. */
  private resetIgnoredParts(type: ResourceType, live: JsonObject | undefined, candidate: JsonObject, subresource: string | undefined): JsonObject {
    if (!live) {
      if (type.statusSubresource) delete candidate.status;
      return candidate;
    }
    if (subresource === 'status') {
      const reset = structuredClone(live);
      if (candidate.status === undefined) delete reset.status;
      else reset.status = candidate.status;
      const metadata = metadataOf(reset);
      if (metadataOf(candidate).managedFields !== undefined) metadata.managedFields = metadataOf(candidate).managedFields;
      return reset;
    }
    if (type.statusSubresource) {
      if (live.status === undefined) delete candidate.status;
      else candidate.status = structuredClone(live.status);
    }
    return candidate;
  }

  private carrySystemMetadata(type: ResourceType, namespace: string, name: string, live: JsonObject | undefined, candidate: JsonObject): void {
    const metadata = isObject(candidate.metadata) ? candidate.metadata : (candidate.metadata = {});
    metadata.name = name;
    if (type.namespaced) metadata.namespace = namespace;
    else delete metadata.namespace;
    if (live) {
      const previous = metadataOf(live);
      for (const key of ['uid', 'creationTimestamp', 'generation', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
        if (previous[key] === undefined) delete metadata[key];
        else metadata[key] = previous[key];
      }
      if (metadata.managedFields === undefined && previous.managedFields !== undefined) metadata.managedFields = previous.managedFields;
    } else {
      metadata.uid = randomUUID();
      metadata.creationTimestamp = rfc3339Now();
      for (const key of ['resourceVersion', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete metadata[key];
    }
  }

  /** metadata.generation starts at 1 and moves only when something besides metadata and status changes. */
  private setGeneration(type: ResourceType, live: JsonObject | undefined, candidate: JsonObject): void {
    if (!type.tracksGeneration) return;
    const metadata = metadataOf(candidate);
    if (!live) {
      metadata.generation = 1;
      return;
    }
    const generation = Number(metadataOf(live).generation ?? 1);
    metadata.generation = deepEqual(specPart(live), specPart(candidate)) ? generation : generation + 1;
  }

  private afterWrite(type: ResourceType, object: JsonObject): void {
    if (isCrd(type)) {
      this.registry.setCrd(String(metadataOf(object).name), object);
    }
  }

  delete(type: ResourceType, namespace: string, name: string, body: unknown, context: RequestContext): WriteResult {
    const options = writeOptions(context.query);
    const live = this.store.get(storageKey(type), namespace, name);
    if (!live) throw statusErrors.notFound(type.plural, type.group, name);
    const preconditions = isObject(body) && isObject(body.preconditions) ? body.preconditions : {};
    const metadata = metadataOf(live);
    if (preconditions.uid !== undefined && preconditions.uid !== metadata.uid) {
      throw statusErrors.conflict(type.plural, type.group, name, `Precondition failed: UID in precondition: ${String(preconditions.uid)}, UID in object meta: ${String(metadata.uid)}`);
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== metadata.resourceVersion) {
      throw statusErrors.conflict(type.plural, type.group, name, `Precondition failed: ResourceVersion in precondition: ${String(preconditions.resourceVersion)}, ResourceVersion in object meta: ${String(metadata.resourceVersion)}`);
    }
    const kept = this.remover.delete(type, live, options.dryRun);
    if (!kept) return { status: 200, body: deletedStatus(type, live) };
    this.terminations.schedule();
    return { status: 200, body: this.present(type, kept) };
  }

  deleteCollection(type: ResourceType, namespace: string | undefined, context: RequestContext): WriteResult {
    const listed = this.list(type, namespace, new RequestContextWithout(context, ['limit', 'continue']));
    const items = (listed.items as JsonObject[]).map((item) => this.store.get(storageKey(type), String(metadataOf(item).namespace ?? ''), String(metadataOf(item).name))!);
    const dryRun = writeOptions(context.query).dryRun;
    const deleted = items.map((item) => this.remover.delete(type, item, dryRun) ?? item);
    this.terminations.schedule();
    return { status: 200, body: { ...listed, items: deleted.map((item) => this.present(type, item)) } };
  }

  /**
   * The NamespaceLifecycle admission plugin on a create: the namespace must exist and not be
   * terminating (403 with a NamespaceTerminating cause, as kube-apiserver answers).
   */
  private admitNamespaceLifecycle(type: ResourceType, namespace: string, name: string): void {
    if (!type.namespaced) return;
    const owner = this.store.get('/namespaces', '', namespace);
    if (!owner) throw new KubeStatusError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (!isObject(owner.status) || owner.status.phase !== 'Terminating') return;
    throw statusErrors.forbidden(
      `${qualifiedResource(type.plural, type.group)} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name, group: type.group, kind: type.plural,
        causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
      },
    );
  }

  /** apiextensions-apiserver refuses a POST of a custom resource while its CRD terminates (apply still creates). */
  private refuseCreateWhileCrdTerminates(type: ResourceType): void {
    if (type.crdName === undefined) return;
    const crd = this.store.get('apiextensions.k8s.io/customresourcedefinitions', '', type.crdName);
    const conditions = crd && isObject(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions.filter(isObject) : [];
    if (!conditions.some((condition) => condition.type === 'Terminating' && condition.status === 'True')) return;
    throw new KubeStatusError(405, 'MethodNotAllowed', 'create not allowed while custom resource definition is terminating', { group: type.group, kind: type.plural });
  }

  private staleConflict(type: ResourceType, name: string): KubeStatusError {
    return statusErrors.conflict(type.plural, type.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }

  private updateWriter(type: ResourceType, context: RequestContext, subresource?: string): WriterIdentity {
    const manager = context.query.get('fieldManager') ?? managerFromUserAgent(context.userAgent);
    return { manager, operation: 'Update', apiVersion: apiVersionOf(type), ...(subresource ? { subresource } : {}) };
  }

  private checkKind(type: ResourceType, object: JsonObject): void {
    const expected = apiVersionOf(type);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw statusErrors.badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`);
    }
    if (object.kind !== undefined && object.kind !== type.kind) {
      throw statusErrors.badRequest(`the kind in the data (${String(object.kind)}) does not match the expected kind (${type.kind})`);
    }
  }

  private decodeBody(type: ResourceType, body: unknown, namespace: string): JsonObject {
    if (!isObject(body)) throw statusErrors.badRequest('the request body must be a JSON object');
    // Custom resources decode as unstructured objects, which need their type; built-ins default it from the URL.
    requireTypeMeta(body, type.crdName !== undefined);
    this.checkKind(type, body);
    this.checkNamespace(metadataOf(body), namespace);
    return structuredClone(body);
  }

  private checkNamespace(metadata: JsonObject, namespace: string): void {
    if (namespace && metadata.namespace !== undefined && metadata.namespace !== namespace) {
      throw statusErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
  }
}

function requireTypeMeta(object: JsonObject, required: boolean): void {
  if (!required) return;
  const text = JSON.stringify(object);
  if (typeof object.kind !== 'string' || object.kind === '') throw statusErrors.badRequest(`Object 'Kind' is missing in '${text}'`);
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '') throw statusErrors.badRequest(`Object 'apiVersion' is missing in '${text}'`);
}

/** A context whose query lacks some parameters (deletecollection lists everything it matches). */
class RequestContextWithout implements RequestContext {
  readonly query: URLSearchParams;
  readonly userAgent: string;
  readonly warnings: string[];

  constructor(context: RequestContext, drop: string[]) {
    this.query = new URLSearchParams(context.query);
    for (const key of drop) this.query.delete(key);
    this.userAgent = context.userAgent;
    this.warnings = context.warnings;
  }
}

function writeOptions(query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll('dryRun');
  for (const value of dryRun) {
    if (value !== 'All') {
      throw statusErrors.invalid('CreateOptions', 'meta.k8s.io', '', [fieldErrors.notSupported('dryRun', dryRun, ['All'])]);
    }
  }
  const validation = query.get('fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(validation)) {
    throw statusErrors.badRequest(`fieldValidation parameter unsupported: ${validation}`);
  }
  return { dryRun: dryRun.length > 0, fieldValidation: validation as FieldValidation };
}

function scopeOf(type: ResourceType, options: WriteOptions): WriteScope {
  return { statusSubresource: type.statusSubresource, ...(options.subresource ? { subresource: options.subresource } : {}) };
}

/** Everything but metadata and status: what a generation change is about. */
function specPart(object: JsonObject): JsonObject {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

function withoutVolatile(object: JsonObject): JsonObject {
  const copy = structuredClone(object);
  const metadata = metadataOf(copy);
  delete metadata.resourceVersion;
  if (Array.isArray(metadata.managedFields)) {
    metadata.managedFields = metadata.managedFields.map((entry) => (isObject(entry) ? { ...entry, time: undefined } : entry));
  }
  return copy;
}

function listKey(object: JsonObject): string {
  const metadata = metadataOf(object);
  return `${String(metadata.namespace ?? '')}/${String(metadata.name)}`;
}

/** kube-apiserver's default field manager: the User-Agent up to the first `/`. */
export function managerFromUserAgent(userAgent: string): string {
  const prefix = userAgent.split('/')[0]!.trim();
  return (prefix || 'unknown').slice(0, 128);
}

export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw statusErrors.badRequest(`error decoding patch: ${(error as Error).message}`);
  }
}
