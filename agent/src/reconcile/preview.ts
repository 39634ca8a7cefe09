import { describeRef, refOf, type RenderedObject } from '@netfleet/shared';
import type { Inventory } from '../inventory/index.js';
import type { KubeClient } from '../kube/client.js';
import { pathOf } from '../ssa/apply.js';
import { alignIgnored, driftedFields, unifiedDiff } from '../ssa/diff.js';
import { takesOwnership } from '../ssa/ownership.js';
import { moduleOf } from './modules.js';
import { toKubeError } from '../kube/retry.js';
import { KubeErrorCode } from '../errors.js';

/** One object whose live state differs from what a sync would make it. */
export interface ObjectDiff {
  id: string;
  /** Unified diff (live → desired); a note instead when the object cannot be compared. */
  text: string;
}

/**
 * What a sync would change, object by object, without changing anything: each rendered
 * object is dry-run applied (forced where the sync forces) and diffed with the live one; objects the inventory has and
 * the render lacks are shown as deletions.
 */
export async function previewDiff(client: KubeClient, objects: readonly RenderedObject[], inventory?: Inventory): Promise<ObjectDiff[]> {
  const diffs = await Promise.all(objects.map((rendered) => previewObject(client, rendered)));
  const rendered = new Set(objects.map((object) => object.id));
  const deletions: ObjectDiff[] = [];
  for (const stale of inventory?.entries() ?? []) {
    if (rendered.has(stale.id)) continue;
    const [group, kind, namespace, name] = stale.id.split('_') as [string, string, string, string];
    if (!await client.discovery.find(stale.apiVersion, kind)) continue;
    const live = await client.get({ apiVersion: stale.apiVersion, kind, namespace: namespace || undefined, name });
    if (live) deletions.push({ id: stale.id, text: unifiedDiff(describeRef({ group, kind, namespace, name }), undefined, live) });
  }
  return [...diffs.filter((diff): diff is ObjectDiff => diff !== undefined), ...deletions];
}

async function previewObject(client: KubeClient, rendered: RenderedObject): Promise<ObjectDiff | undefined> {
  const name = describeRef(refOf(rendered.object));
  const { apiVersion, kind } = rendered.object;
  if (!await client.discovery.find(apiVersion, kind)) {
    return { id: rendered.id, text: `# ${name}: ${kind} is not served yet (waiting for module ${moduleOf(apiVersion, kind)})\n` };
  }
  const live = await client.get(pathOf(rendered.object));
  try {
    const dryRun = await client.apply(alignIgnored(rendered.object, live, rendered.policy.ignore), { force: takesOwnership(rendered.policy), dryRun: true });
    if (live && driftedFields(dryRun, live, rendered.policy.ignore).length === 0) return undefined;
    return { id: rendered.id, text: unifiedDiff(name, dryRun, live, rendered.policy.ignore) };
  } catch (raw) {
    const error = toKubeError(raw);
    if (error.code === KubeErrorCode.NotFound && rendered.object.metadata.namespace && !live) {
      // Its namespace does not exist yet, so the server cannot dry-run it: show it as rendered.
      return { id: rendered.id, text: unifiedDiff(name, rendered.object, undefined) };
    }
    if (error.code === KubeErrorCode.FieldConflict) {
      return { id: rendered.id, text: `# ${name}: conflicts with another field manager on ${error.conflicts.map((conflict) => conflict.field).join(', ')}\n` };
    }
    throw error;
  }
}
