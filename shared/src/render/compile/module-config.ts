import { ProblemCode } from '../../config/errors.js';
import { isMapping } from '../../config/merge.js';
import { formatPath, type FieldPath } from '../../config/source.js';
import { sourceRef, type ModuleContribution, type RenderContext } from '../context.js';

/**
 * The settings schema version of each module netfleet writes, from the `x-config-version`
 * of the module's settings schema (absent there means 1). ModuleConfig `spec.version` must
 * name it, or DKP converts the settings as if written for an older schema.
 */
export const MODULE_CONFIG_VERSIONS: Readonly<Record<string, number>> = {
  global: 2,
  istio: 2,
  metallb: 2,
  'ingress-nginx': 1,
  'kube-dns': 1,
  'node-local-dns': 1,
  'cni-cilium': 1,
};

/**
 * Merges every contribution to one module into one ModuleConfig. Settings documents come
 * first and lend the object their source and policy; a field two documents set to
 * different values is a conflict, not a silent win.
 */
export function assembleModuleConfigs(context: RenderContext): void {
  const byModule = new Map<string, ModuleContribution[]>();
  for (const contribution of context.contributions) {
    const list = byModule.get(contribution.module) ?? [];
    list.push(contribution);
    byModule.set(contribution.module, list);
  }
  for (const module of [...byModule.keys()].sort()) {
    const contributions = byModule.get(module)!.sort(
      (a, b) => Number(b.primary) - Number(a.primary) || (a.origin.document < b.origin.document ? -1 : a.origin.document > b.origin.document ? 1 : 0),
    );
    const first = contributions[0]!;
    const settings: Record<string, unknown> = {};
    let enabled: boolean | undefined;
    let conflicted = false;
    for (const contribution of contributions) {
      const conflict = mergeInto(settings, contribution.settings, []);
      if (enabled !== undefined && contribution.enabled !== undefined && enabled !== contribution.enabled) {
        conflicted = true;
        context.problem(contribution.origin, ProblemCode.SettingsConflict, [], `enabled: ${contribution.enabled} for module ${module}`, `the same as ${first.origin.document}, which sets enabled: ${enabled}`);
      }
      enabled ??= contribution.enabled;
      if (conflict) {
        conflicted = true;
        context.problem(contribution.origin, ProblemCode.SettingsConflict, [], `${module} setting ${formatPath(conflict)} set differently`, `the value ${settingsOwner(contributions, contribution, conflict)} sets, or remove one of them`);
      }
    }
    if (conflicted) continue;
    const version = MODULE_CONFIG_VERSIONS[module] ?? 1;
    context.emit(
      {
        apiVersion: 'deckhouse.io/v1alpha1',
        kind: 'ModuleConfig',
        metadata: { name: module },
        spec: enabled === undefined ? { version, settings } : { enabled, version, settings },
      },
      { ...first.origin, contributors: [...new Set(contributions.map((contribution) => sourceRef(contribution.origin)))] },
    );
  }
}

function settingsOwner(all: ModuleContribution[], current: ModuleContribution, path: FieldPath): string {
  const owner = all.find((c) => c !== current && has(c.settings, path));
  return owner ? owner.origin.document : 'another document';
}

function has(value: unknown, path: FieldPath): boolean {
  let node = value;
  for (const segment of path) {
    if (!isMapping(node) || !(String(segment) in node)) return false;
    node = node[String(segment)];
  }
  return true;
}

/** Merges `patch` into `target`; returns the path of the first leaf set to a different value. */
function mergeInto(target: Record<string, unknown>, patch: Record<string, unknown>, path: string[]): FieldPath | undefined {
  for (const [key, value] of Object.entries(patch)) {
    const existing = target[key];
    if (existing === undefined) {
      target[key] = structuredClone(value);
    } else if (isMapping(existing) && isMapping(value)) {
      const conflict = mergeInto(existing, value, [...path, key]);
      if (conflict) return conflict;
    } else if (JSON.stringify(existing) !== JSON.stringify(value)) {
      return [...path, key];
    }
  }
  return undefined;
}
