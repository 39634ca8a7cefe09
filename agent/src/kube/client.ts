import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeObject } from '@netfleet/shared';
import pLimit, { type LimitFunction } from 'p-limit';
import { KindNotServedError, KubeConfigError, KubeErrorCode } from '../errors.js';
import { Discovery, type ServedKind } from './discovery.js';
import { RawObjectApi, type JsonPatchOperation, type ResourcePath } from './object-api.js';
import { defaultRetryOptions, toKubeError, withRetry, type RetryOptions } from './retry.js';

/** How the agent connects to its cluster. */
export interface KubeClientOptions {
  /**
   * A ready KubeConfig (tests pass the API test server's). Takes precedence over the
   * other connection options.
   */
  kubeConfig?: KubeConfig;
  /** Path of a kubeconfig file. Without it and without `inCluster`, the default loading rules apply. */
  kubeconfigPath?: string;
  /** The kubeconfig context to use; unset uses its current context. */
  context?: string;
  /**
   * Use the pod's service account (in-cluster config).
   * @defaultValue false
   */
  inCluster?: boolean;
  /**
   * Field manager name for server-side apply.
   * @defaultValue 'netfleet'
   */
  fieldManager?: string;
  /**
   * Requests in flight at once (watches excluded).
   * @defaultValue 8
   */
  concurrency?: number;
  /** Retry policy for transient failures. @defaultValue {@link defaultRetryOptions} */
  retry?: Partial<RetryOptions>;
}

export const FIELD_MANAGER = 'netfleet';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Builds the KubeConfig the options describe; a KubeConfigError names what is wrong with the file. */
export function loadKubeConfig(options: Pick<KubeClientOptions, 'kubeConfig' | 'kubeconfigPath' | 'context' | 'inCluster'>): KubeConfig {
  if (options.kubeConfig) return options.kubeConfig;
  const config = new KubeConfig();
  if (options.inCluster) {
    config.loadFromCluster();
    return config;
  }
  const defaultPath = join(homedir(), '.kube', 'config');
  const path = options.kubeconfigPath ?? process.env.KUBECONFIG ?? defaultPath;
  // client-node would quietly fall back to http://localhost:8080 and fail at the first request.
  if (!options.kubeconfigPath && !process.env.KUBECONFIG && !existsSync(defaultPath) && !existsSync(SERVICE_ACCOUNT_TOKEN)) {
    throw new KubeConfigError(`no kubeconfig: none given, KUBECONFIG is not set and ${defaultPath} does not exist`, 'pass --kubeconfig FILE, set KUBECONFIG, or use --in-cluster in a pod');
  }
  try {
    if (options.kubeconfigPath) config.loadFromFile(options.kubeconfigPath);
    else config.loadFromDefault();
  } catch (cause) {
    throw KubeConfigError.unreadable(path, cause);
  }
  if (options.context !== undefined) {
    const contexts = config.getContexts().map((context) => context.name);
    if (!contexts.includes(options.context)) {
      throw new KubeConfigError(`the kubeconfig ${path} has no context "${options.context}"`, contexts.length > 0 ? `use one of: ${contexts.join(', ')}` : 'add one with kubectl config set-context');
    }
    config.setCurrentContext(options.context);
  }
  // client-node only notices at the first request, with "No active cluster!".
  if (!config.getCurrentCluster()) {
    const contexts = config.getContexts().map((context) => context.name);
    const problem = config.getCurrentContext() ? `its current context "${config.getCurrentContext()}" names no cluster it defines` : 'it has no current context';
    throw new KubeConfigError(`cannot use the kubeconfig ${path}: ${problem}`,
      contexts.length > 0 ? `choose one with kubectl config use-context NAME (contexts: ${contexts.join(', ')})` : 'add a cluster, a user and a context to it, e.g. with kubectl config set-cluster / set-credentials / set-context');
  }
  return config;
}

/**
 * The agent's only way to talk to the cluster: wire-format JSON, discovery cache,
 * bounded concurrency and retries with backoff on every request.
 */
export class KubeClient {
  readonly kubeConfig: KubeConfig;
  readonly fieldManager: string;
  readonly discovery: Discovery;
  readonly #api: RawObjectApi;
  readonly #limit: LimitFunction;
  readonly #retry: RetryOptions;
  readonly #watch: Watch;

  constructor(options: KubeClientOptions = {}) {
    this.kubeConfig = loadKubeConfig(options);
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.#api = this.kubeConfig.makeApiClient(RawObjectApi);
    this.#limit = pLimit(options.concurrency ?? 8);
    this.#retry = { ...defaultRetryOptions(), ...options.retry };
    this.#watch = new Watch(this.kubeConfig);
    this.discovery = new Discovery((apiVersion, kind) => this.#call(() => this.#api.discover(apiVersion, kind)));
  }

  /** The served kind, or a KindNotServedError. */
  async served(apiVersion: string, kind: string): Promise<ServedKind> {
    const served = await this.discovery.find(apiVersion, kind);
    if (!served) throw new KindNotServedError(apiVersion, kind);
    return served;
  }

  /**
   * The apiVersion to reach an object recorded under `apiVersion`: that one while it is
   * served, else the preferred version of its group that serves the kind (a CRD moved on to a
   * new version, an API removed in a Kubernetes upgrade); undefined when no version does.
   */
  async reachableVersion(apiVersion: string, kind: string): Promise<string | undefined> {
    // Asked afresh, not from the discovery cache: a version may have stopped being served
    // since this client first saw it.
    if (await this.#call(() => this.#api.servesKind(apiVersion, kind))) return apiVersion;
    const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
    for (const version of await this.#call(() => this.#api.groupVersions(group))) {
      const candidate = group ? `${group}/${version}` : version;
      if (candidate !== apiVersion && await this.#call(() => this.#api.servesKind(candidate, kind))) return candidate;
    }
    return undefined;
  }

  /** Server-side apply under the agent's field manager. */
  apply(object: KubeObject, options: { force: boolean; dryRun?: boolean }): Promise<KubeObject> {
    return this.#call(() => this.#api.applyRaw(object, { fieldManager: this.fieldManager, force: options.force, dryRun: options.dryRun ?? false }));
  }

  /** JSON patch under the agent's field manager (e.g. rewriting managedFields). */
  jsonPatch(path: ResourcePath, operations: JsonPatchOperation[]): Promise<KubeObject> {
    return this.#call(() => this.#api.jsonPatchRaw(path, operations, this.fieldManager));
  }

  /** The live object, or undefined when it does not exist. */
  async get(path: ResourcePath): Promise<KubeObject | undefined> {
    try {
      return await this.#call(() => this.#api.getRaw(path));
    } catch (error) {
      if (toKubeError(error).code === KubeErrorCode.NotFound) return undefined;
      throw error;
    }
  }

  /** Every object of a kind in every namespace (all pages), and the list's resourceVersion. */
  async list(apiVersion: string, kind: string, labelSelector?: string): Promise<{ items: KubeObject[]; resourceVersion: string }> {
    const items: KubeObject[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#call(() => this.#api.listRaw({ apiVersion, kind }, { labelSelector, limit: 500, continue: token }));
      for (const item of page.items) items.push({ ...item, apiVersion, kind });
      token = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion ?? '';
    } while (token);
    return { items, resourceVersion };
  }

  /** Deletes an object; false when it was already gone. */
  async delete(path: ResourcePath, preconditions: { uid?: string } = {}): Promise<boolean> {
    try {
      await this.#call(() => this.#api.deleteRaw(path, preconditions));
      return true;
    } catch (error) {
      if (toKubeError(error).code === KubeErrorCode.NotFound) return false;
      throw error;
    }
  }

  /** The REST path of a kind's collection across namespaces. */
  collectionPath(apiVersion: string, kind: string): Promise<string> {
    return this.#api.collectionPath(apiVersion, kind);
  }

  /**
   * Opens a watch; `onDone` runs once when it ends for any reason (the caller decides
   * whether to relist). Resolves to a handle whose `abort()` ends it.
   */
  watch(
    path: string,
    query: { resourceVersion: string; labelSelector?: string },
    onEvent: (type: string, object: KubeObject) => void,
    onDone: (error: unknown) => void,
  ): Promise<AbortController> {
    return this.#watch.watch(path, { ...query, allowWatchBookmarks: true }, onEvent, onDone);
  }

  #call<T>(request: () => Promise<T>): Promise<T> {
    return withRetry(() => this.#limit(request), this.#retry);
  }
}
