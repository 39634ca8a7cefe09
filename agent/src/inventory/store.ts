import { NetfleetError, type KubeObject } from '@netfleet/shared';
import { AgentNamespaceError, InventoryError, KubeApiError, KubeErrorCode } from '../errors.js';
import type { KubeClient } from '../kube/client.js';
import { Inventory } from './inventory.js';

/** Where the inventory lives in the cluster. */
export interface InventoryStoreOptions {
  /** Namespace of the ConfigMap (the agent's own namespace). */
  namespace: string;
  /** The cluster's name, recorded for people reading the ConfigMap. */
  cluster: string;
  /**
   * Name of the ConfigMap.
   * @defaultValue {@link INVENTORY_CONFIGMAP}
   */
  name?: string;
}

/** The inventory and the last revision applied successfully, as stored. */
export interface StoredInventory {
  inventory: Inventory;
  /** The revision of the last successful sync; '' before the first. */
  revision: string;
}

/** The inventory ConfigMap's name unless told otherwise. */
export const INVENTORY_CONFIGMAP = 'netfleet-inventory';

/**
 * Keeps the inventory in a ConfigMap in the agent's namespace, so a restarted agent
 * knows what it applied and prunes nothing wrongly. Written with server-side apply under
 * its own field manager.
 */
export class InventoryStore {
  readonly #name: string;
  /** The data last read or written, so an unchanged inventory is not written again. */
  #stored: string | undefined;

  constructor(private readonly client: KubeClient, private readonly options: InventoryStoreOptions) {
    this.#name = options.name ?? INVENTORY_CONFIGMAP;
  }

  async load(): Promise<StoredInventory> {
    const stored = await this.read();
    if (stored) return stored;
    // A first sync: make sure the inventory has a home before anything is applied, so a
    // missing namespace cannot leave applied objects unrecorded.
    await this.#ensureNamespace();
    return { inventory: new Inventory(), revision: '' };
  }

  /** The stored inventory, or undefined when there is none; reads only (`netfleet uninstall` lists it). */
  async read(): Promise<StoredInventory | undefined> {
    let configMap: KubeObject | undefined;
    try {
      configMap = await this.client.get(this.#path());
    } catch (cause) {
      throw this.#failure('read', cause);
    }
    if (!configMap) return undefined;
    const data = (configMap.data ?? {}) as Record<string, string>;
    try {
      const stored = { inventory: Inventory.parse(data.entries ?? ''), revision: data.revision ?? '' };
      this.#stored = this.#key(stored);
      return stored;
    } catch (cause) {
      throw new InventoryError(`the inventory ConfigMap ${this.options.namespace}/${this.#name} is malformed: ${(cause as Error).message}`, { cause });
    }
  }

  async save(stored: StoredInventory): Promise<void> {
    const key = this.#key(stored);
    if (key === this.#stored) return;
    const configMap: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.#name,
        namespace: this.options.namespace,
        labels: { 'app.kubernetes.io/part-of': 'netfleet', 'app.kubernetes.io/component': 'inventory' },
      },
      data: { cluster: this.options.cluster, revision: stored.revision, entries: stored.inventory.serialize() },
    };
    try {
      await this.#write(configMap);
      this.#stored = key;
    } catch (cause) {
      throw this.#failure('write', cause);
    }
  }

  async #write(configMap: KubeObject): Promise<void> {
    try {
      await this.client.apply(configMap, { force: true });
    } catch (error) {
      // The namespace was deleted since the inventory was read: create it again.
      if (!isNamespaceNotFound(error)) throw error;
      await this.#ensureNamespace();
      await this.client.apply(configMap, { force: true });
    }
  }

  /** Creates the agent's namespace when it does not exist (a fresh cluster, `agent --once` from outside). */
  async #ensureNamespace(): Promise<void> {
    const namespace = this.options.namespace;
    const path = { apiVersion: 'v1', kind: 'Namespace', name: namespace };
    try {
      if (await this.client.get(path)) return;
      await this.client.apply({
        apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/part-of': 'netfleet' } },
      }, { force: false });
    } catch (cause) {
      if (cause instanceof KubeApiError && cause.transient) throw cause;
      throw new AgentNamespaceError(namespace, cause instanceof Error ? cause.message : String(cause), { cause });
    }
  }

  #key(stored: StoredInventory): string {
    return `${stored.revision}\n${stored.inventory.serialize()}`;
  }

  /** An unreachable cluster stays a KUBE_ error; anything else is the inventory's problem. */
  #failure(verb: 'read' | 'write', cause: unknown): Error {
    if ((cause instanceof KubeApiError && cause.transient) || cause instanceof AgentNamespaceError) return cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    // The ConfigMap permissions are to blame only when the server said so.
    const forbidden = cause instanceof KubeApiError && cause.code === KubeErrorCode.Forbidden;
    const hint = forbidden ? undefined : (cause instanceof NetfleetError ? cause.hint : undefined) ?? 'check the cluster address and credentials of the kubeconfig';
    return new InventoryError(`cannot ${verb} the inventory ConfigMap ${this.options.namespace}/${this.#name}${detail}`, { cause, ...(hint ? { hint } : {}) });
  }

  #path() {
    return { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.options.namespace, name: this.#name };
  }
}

/** kube-apiserver's answer to a write into a namespace that does not exist (NamespaceLifecycle admission). */
function isNamespaceNotFound(error: unknown): boolean {
  if (!(error instanceof KubeApiError) || error.code !== KubeErrorCode.NotFound) return false;
  return /^namespaces "[^"]+" not found$/.test(error.message);
}
