/**
 * The resources the server serves: the built-in kinds plus, for each established CRD, one
 * resource type per served version. Discovery and routing both read from here.
 */
import { builtinResourceTypes } from './builtin-kinds.js';
import { crdResourceTypes } from './crd.js';
import type { JsonObject } from './json.js';
import { storageKey, type ResourceType } from './resource-type.js';

export class ResourceRegistry {
  private readonly builtins = builtinResourceTypes();
  private readonly byCrd = new Map<string, ResourceType[]>();

  /** Serves (or stops serving) what a CRD declares; `undefined` removes it. */
  setCrd(name: string, crd: JsonObject | undefined): void {
    if (crd) this.byCrd.set(name, crdResourceTypes(crd));
    else this.byCrd.delete(name);
  }

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.byCrd.values()].flat()];
  }

  /** One resource type per stored resource (the versions of a CRD share their objects). */
  storedResources(): ResourceType[] {
    const seen = new Set<string>();
    return this.all().filter((type) => !seen.has(storageKey(type)) && seen.add(storageKey(type)));
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((type) => type.group === group && type.version === version && type.plural === plural);
  }

  /** The versions served for a group, by Kubernetes version priority (the preferred one first). */
  groupVersions(group: string): string[] {
    const versions = [...new Set(this.all().filter((type) => type.group === group).map((type) => type.version))];
    return versions.sort(compareVersionPriority);
  }

  groups(): string[] {
    return [...new Set(this.all().map((type) => type.group))].filter((group) => group !== '');
  }
}

/** kube-aware version order: GA before beta before alpha, higher numbers first, others last. */
export function compareVersionPriority(a: string, b: string): number {
  const rank = (version: string): [number, number, number] => {
    const match = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(version);
    if (!match) return [0, 0, 0];
    const stability = match[2] === undefined ? 3 : match[2] === 'beta' ? 2 : 1;
    return [stability, Number(match[1]), Number(match[3] ?? 0)];
  };
  const [left, right] = [rank(a), rank(b)];
  for (let index = 0; index < 3; index += 1) {
    if (left[index] !== right[index]) return right[index]! - left[index]!;
  }
  return a.localeCompare(b);
}
