import {
  ApiException, HttpMethod, KubernetesObjectApi, PatchStrategy,
  type KubernetesObject, type ResponseContext, type V1APIResource,
} from '@kubernetes/client-node';
import type { KubeObject } from '@netfleet/shared';

/** A list response as JSON. */
export interface RawList {
  metadata?: { resourceVersion?: string; continue?: string };
  items: KubeObject[];
}

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'test';
  path: string;
  value?: unknown;
}

/** Where an object lives in the REST API. */
export interface ResourcePath {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
}

/**
 * `KubernetesObjectApi` with wire-format JSON in and out. The base class converts
 * bodies to and from its generated model classes, which drops fields it does not know
 * and turns timestamps into Dates; diffing needs exactly what the server sent, so these
 * methods build the requests themselves and keep the base class's server, TLS, auth and
 * discovery cache.
 */
export class RawObjectApi extends KubernetesObjectApi {
  /** Discovery for one kind (cached per group version by the base class). */
  discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }

  /** Server-side apply. */
  async applyRaw(object: KubeObject, options: { fieldManager: string; force: boolean; dryRun: boolean }): Promise<KubeObject> {
    const path = { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
    const context = await this.context(path, 'patch', HttpMethod.PATCH);
    context.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    context.setQueryParam('fieldManager', options.fieldManager);
    // A field the served schema does not know is a mistake in the repository, not something to drop.
    context.setQueryParam('fieldValidation', 'Strict');
    if (options.force) context.setQueryParam('force', 'true');
    if (options.dryRun) context.setQueryParam('dryRun', 'All');
    context.setBody(JSON.stringify(object));
    return this.send<KubeObject>(context);
  }

  /** JSON patch (RFC 6902) under a field manager. */
  async jsonPatchRaw(path: ResourcePath, operations: JsonPatchOperation[], fieldManager: string): Promise<KubeObject> {
    const context = await this.context(path, 'patch', HttpMethod.PATCH);
    context.setHeaderParam('Content-Type', PatchStrategy.JsonPatch);
    context.setQueryParam('fieldManager', fieldManager);
    context.setBody(JSON.stringify(operations));
    return this.send<KubeObject>(context);
  }

  async getRaw(path: ResourcePath): Promise<KubeObject> {
    return this.send<KubeObject>(await this.context(path, 'read', HttpMethod.GET));
  }

  /** One page of a list; `namespace` undefined lists across all namespaces. */
  async listRaw(path: ResourcePath, query: { labelSelector?: string; limit?: number; continue?: string } = {}): Promise<RawList> {
    const context = await this.context(path, 'list', HttpMethod.GET);
    if (query.labelSelector) context.setQueryParam('labelSelector', query.labelSelector);
    if (query.limit) context.setQueryParam('limit', String(query.limit));
    if (query.continue) context.setQueryParam('continue', query.continue);
    return this.send<RawList>(context);
  }

  /** Delete with background propagation; `uid` guards against deleting a re-created object. */
  async deleteRaw(path: ResourcePath, preconditions: { uid?: string } = {}): Promise<void> {
    const context = await this.context(path, 'delete', HttpMethod.DELETE);
    context.setHeaderParam('Content-Type', 'application/json');
    context.setBody(JSON.stringify({
      apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background',
      ...(preconditions.uid ? { preconditions: { uid: preconditions.uid } } : {}),
    }));
    await this.send<unknown>(context);
  }

  /**
   * The versions a group serves, its preferred version first (`/apis/<group>`, or `/api` for
   * the core group); none when the group is not served at all. Asked each time, not cached.
   */
  async groupVersions(group: string): Promise<string[]> {
    const document = await this.getDiscovery<{ versions?: (string | { version: string })[]; preferredVersion?: { version: string } }>(group ? `/apis/${group}` : '/api');
    const versions = (document?.versions ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.version));
    const preferred = document?.preferredVersion?.version;
    return preferred ? [preferred, ...versions.filter((version) => version !== preferred)] : versions;
  }

  /** Whether `apiVersion` serves `kind` now (asked each time: the base class caches discovery for good). */
  async servesKind(apiVersion: string, kind: string): Promise<boolean> {
    const list = await this.getDiscovery<{ resources?: V1APIResource[] }>(apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    return (list?.resources ?? []).some((resource) => resource.kind === kind && !resource.name.includes('/'));
  }

  /** A discovery document, or undefined when the server does not serve that path (404). */
  private async getDiscovery<T>(path: string): Promise<T | undefined> {
    const context = this.configuration.baseServer.makeRequestContext(path, HttpMethod.GET);
    context.setHeaderParam('Accept', 'application/json');
    try {
      return await this.send<T>(context);
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** The REST path of a kind's collection (for watches). */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    return this.specUriPath({ apiVersion, kind, metadata: namespace ? { namespace } : {} }, 'list');
  }

  private async context(path: ResourcePath, action: 'patch' | 'read' | 'list' | 'delete', method: HttpMethod) {
    const spec: KubernetesObject = {
      apiVersion: path.apiVersion, kind: path.kind,
      metadata: { ...(path.name ? { name: path.name } : {}), ...(path.namespace ? { namespace: path.namespace } : {}) },
    };
    // The base class would fill a missing namespace with the context default; lists
    // across namespaces and cluster-scoped kinds must not get one.
    const uri = await this.specUriPathExact(spec, action);
    const context = this.configuration.baseServer.makeRequestContext(uri, method);
    context.setHeaderParam('Accept', 'application/json');
    return context;
  }

  private async specUriPathExact(spec: KubernetesObject, action: 'patch' | 'read' | 'list' | 'delete'): Promise<string> {
    if (action === 'list' || spec.metadata?.namespace) return this.specUriPath(spec, action);
    const resource = await this.resource(spec.apiVersion!, spec.kind!);
    if (resource?.namespaced) throw new Error(`${spec.kind} ${spec.metadata?.name} is namespaced but has no namespace`);
    return this.specUriPath(spec, action);
  }

  private send<T>(context: Parameters<KubernetesObjectApi['requestPromise']>[0]): Promise<T> {
    return this.requestPromise(context) as Promise<T>;
  }

  /** Keeps the body as the server sent it. */
  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      return (text ? JSON.parse(text) : {}) as T;
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not a Status object; keep the text.
    }
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', body, response.headers);
  }
}
