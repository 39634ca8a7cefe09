import type { V1APIResource } from '@kubernetes/client-node';
import { KubeErrorCode } from '../errors.js';
import { toKubeError } from './retry.js';

/** What discovery says about one kind. */
export interface ServedKind {
  apiVersion: string;
  kind: string;
  /** The plural resource name used in REST paths. */
  resource: string;
  namespaced: boolean;
}

/**
 * Which kinds the cluster serves and their scope. Served kinds are remembered for the
 * life of the client (a CRD is not removed under a running agent in normal operation);
 * kinds found missing are remembered only until `forgetMissing()`, which the reconciler
 * calls at the start of each sync so a CRD that appeared since is picked up.
 */
export class Discovery {
  readonly #served = new Map<string, ServedKind>();
  readonly #missing = new Set<string>();
  readonly #inFlight = new Map<string, Promise<ServedKind | undefined>>();

  constructor(private readonly lookup: (apiVersion: string, kind: string) => Promise<V1APIResource | undefined>) {}

  /** The served kind, or undefined when the cluster does not serve it. */
  async find(apiVersion: string, kind: string): Promise<ServedKind | undefined> {
    const key = `${apiVersion}/${kind}`;
    const known = this.#served.get(key);
    if (known) return known;
    if (this.#missing.has(key)) return undefined;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#discover(apiVersion, kind, key).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  forgetMissing(): void {
    this.#missing.clear();
  }

  async #discover(apiVersion: string, kind: string, key: string): Promise<ServedKind | undefined> {
    let resource: V1APIResource | undefined;
    try {
      resource = await this.lookup(apiVersion, kind);
    } catch (raw) {
      const error = toKubeError(raw);
      // A group version nobody serves answers 404.
      if (error.code !== KubeErrorCode.NotFound) throw error;
    }
    if (!resource) {
      this.#missing.add(key);
      return undefined;
    }
    const served = { apiVersion, kind, resource: resource.name, namespaced: resource.namespaced };
    this.#served.set(key, served);
    return served;
  }
}
