import {
  ApiException, HttpMethod, PatchStrategy,
  type Configuration, type RequestContext, type V1APIResource,
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

/** `/api/v1` for the core group, `/apis/<group>/<version>` for the others. */
function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/**
 * Wire-format JSON requests over client-node's configuration (`KubeConfig.makeApiClient`:
 * its server, TLS, auth and HTTP library). Not `KubernetesObjectApi`: it converts bodies
 * to and from its generated model classes, which drops fields it does not know and turns
 * timestamps into Dates, while diffing needs exactly what the server sent; and its
 * serializer refers to every generated model, so loading it loads them all (the agent's
 * bundle leaves them out, see scripts/build.ts).
 */
export class RawObjectApi {
  /** Each group version's resources, asked once (again only for a kind not in them). */
  readonly #resources = new Map<string, V1APIResource[]>();

  constructor(private readonly configuration: Configuration) {}

  /** Discovery for one kind: its plural name and scope, or undefined when its group version does not list it. */
  async discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    const find = (resources: V1APIResource[] | undefined) => resources?.find((resource) => resource.kind === kind && !resource.name.includes('/'));
    const cached = find(this.#resources.get(apiVersion));
    if (cached) return cached;
    try {
      const list = await this.#send<{ resources?: V1APIResource[] }>(this.#request(apiVersionPath(apiVersion), HttpMethod.GET, 'application/json, */*;q=0.8'));
      this.#resources.set(apiVersion, list.resources ?? []);
      return find(list.resources);
    } catch (error) {
      if (error instanceof Error) error.message = `Failed to fetch resource metadata for ${apiVersion}/${kind}: ${error.message}`;
      throw error;
    }
  }

  /** Server-side apply. */
  async applyRaw(object: KubeObject, options: { fieldManager: string; force: boolean; dryRun: boolean }): Promise<KubeObject> {
    const path = { apiVersion: object.apiVersion, kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name };
    const context = this.#request(await this.#objectPath(path), HttpMethod.PATCH);
    context.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    context.setQueryParam('fieldManager', options.fieldManager);
    // A field the served schema does not know is a mistake in the repository, not something to drop.
    context.setQueryParam('fieldValidation', 'Strict');
    if (options.force) context.setQueryParam('force', 'true');
    if (options.dryRun) context.setQueryParam('dryRun', 'All');
    context.setBody(JSON.stringify(object));
    return this.#send<KubeObject>(context);
  }

  /** JSON patch (RFC 6902) under a field manager. */
  async jsonPatchRaw(path: ResourcePath, operations: JsonPatchOperation[], fieldManager: string): Promise<KubeObject> {
    const context = this.#request(await this.#objectPath(path), HttpMethod.PATCH);
    context.setHeaderParam('Content-Type', PatchStrategy.JsonPatch);
    context.setQueryParam('fieldManager', fieldManager);
    context.setBody(JSON.stringify(operations));
    return this.#send<KubeObject>(context);
  }

  async getRaw(path: ResourcePath): Promise<KubeObject> {
    return this.#send<KubeObject>(this.#request(await this.#objectPath(path), HttpMethod.GET));
  }

  /** One page of a list; `namespace` undefined lists across all namespaces. */
  async listRaw(path: ResourcePath, query: { labelSelector?: string; limit?: number; continue?: string } = {}): Promise<RawList> {
    const context = this.#request(await this.#collectionPath(path), HttpMethod.GET);
    if (query.labelSelector) context.setQueryParam('labelSelector', query.labelSelector);
    if (query.limit) context.setQueryParam('limit', String(query.limit));
    if (query.continue) context.setQueryParam('continue', query.continue);
    return this.#send<RawList>(context);
  }

  /** Delete with background propagation; `uid` guards against deleting a re-created object. */
  async deleteRaw(path: ResourcePath, preconditions: { uid?: string } = {}): Promise<void> {
    const context = this.#request(await this.#objectPath(path), HttpMethod.DELETE);
    context.setHeaderParam('Content-Type', 'application/json');
    context.setBody(JSON.stringify({
      apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background',
      ...(preconditions.uid ? { preconditions: { uid: preconditions.uid } } : {}),
    }));
    await this.#send<unknown>(context);
  }

  /**
   * The versions a group serves, its preferred version first (`/apis/<group>`, or `/api` for
   * the core group); none when the group is not served at all. Asked each time, not cached.
   */
  async groupVersions(group: string): Promise<string[]> {
    const document = await this.#getDiscovery<{ versions?: (string | { version: string })[]; preferredVersion?: { version: string } }>(group ? `/apis/${group}` : '/api');
    const versions = (document?.versions ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.version));
    const preferred = document?.preferredVersion?.version;
    return preferred ? [preferred, ...versions.filter((version) => version !== preferred)] : versions;
  }

  /** Whether `apiVersion` serves `kind` now (asked each time, unlike `discover`). */
  async servesKind(apiVersion: string, kind: string): Promise<boolean> {
    const list = await this.#getDiscovery<{ resources?: V1APIResource[] }>(apiVersionPath(apiVersion));
    return (list?.resources ?? []).some((resource) => resource.kind === kind && !resource.name.includes('/'));
  }

  /** The REST path of a kind's collection across namespaces (for watches). */
  collectionPath(apiVersion: string, kind: string): Promise<string> {
    return this.#collectionPath({ apiVersion, kind });
  }

  /** A discovery document, or undefined when the server does not serve that path (404). */
  async #getDiscovery<T>(path: string): Promise<T | undefined> {
    try {
      return await this.#send<T>(this.#request(path, HttpMethod.GET));
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }

  /** A kind's collection, in `path.namespace` or (without one) across namespaces. */
  async #collectionPath(path: ResourcePath): Promise<string> {
    const resource = await this.#resource(path);
    return [apiVersionPath(path.apiVersion), ...(resource.namespaced && path.namespace ? ['namespaces', encodeURIComponent(path.namespace)] : []), resource.name].join('/');
  }

  /** One object; a namespaced kind needs its namespace (never the kubeconfig's default). */
  async #objectPath(path: ResourcePath): Promise<string> {
    const resource = await this.#resource(path);
    if (resource.namespaced && !path.namespace) throw new Error(`${path.kind} ${path.name} is namespaced but has no namespace`);
    if (!path.name) throw new Error(`a ${path.kind} path needs the object's name`);
    return `${await this.#collectionPath(path)}/${encodeURIComponent(path.name)}`;
  }

  async #resource(path: ResourcePath): Promise<V1APIResource> {
    const resource = await this.discover(path.apiVersion, path.kind);
    if (!resource) throw new Error(`Unrecognized API version and kind: ${path.apiVersion} ${path.kind}`);
    return resource;
  }

  #request(path: string, method: HttpMethod, accept = 'application/json'): RequestContext {
    const context = this.configuration.baseServer.makeRequestContext(path, method);
    context.setHeaderParam('Accept', accept);
    return context;
  }

  /** Sends with the kubeconfig's credentials and TLS settings; the body as the server sent it. */
  async #send<T>(context: RequestContext): Promise<T> {
    await this.configuration.authMethods.default?.applySecurityAuthentication(context);
    const response = await this.configuration.httpApi.send(context).toPromise();
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
