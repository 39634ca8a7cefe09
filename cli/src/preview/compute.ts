import { driftedFields } from '@netfleet/agent/ssa/diff';
import { planRollout } from '@netfleet/hub/rollout/plan';
import {
  describeRef, PRUNE_ANNOTATION, refOf, renderFleet,
  type DriftField, type Fleet, type RenderedObject, type RenderResult, type RolloutPolicy,
} from '@netfleet/shared';

/**
 * What moving the fleet repository from one revision to another does to every cluster:
 * the objects each agent would create, prune (or keep) and change, the rollout wave each
 * cluster lands in, and the mesh links that appear or go away. Pure: both fleets are
 * loaded by the caller.
 */

export interface ObjectDeletion {
  object: string;
  /** `pruned` by the agent, or kept: by the document's `policy.prune: false` or the object's annotation. */
  fate: 'pruned' | 'kept: policy.prune is false' | `kept: ${typeof PRUNE_ANNOTATION} annotation`;
}

export interface ObjectChange {
  object: string;
  /** Field-level differences (`desired` is the new value, `live` the old one); Secret values hidden. */
  fields: DriftField[];
}

export interface WaveMove {
  policy: string;
  /** The wave name, `excluded`, or null when the policy does not exist on that side. */
  from: string | null;
  to: string | null;
}

export interface ClusterPreview {
  cluster: string;
  region: string;
  /** `added`/`removed`: the cluster enters or leaves the inventory. */
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  created: string[];
  deleted: ObjectDeletion[];
  changed: ObjectChange[];
  /** The share of the cluster's objects this sync would prune exceeds the agent's prune limit: the sync stops before it deletes anything. */
  pruneLimitStops: boolean;
  waves: WaveMove[];
  linksAdded: string[];
  linksRemoved: string[];
}

export interface PolicyChange {
  policy: string;
  status: 'added' | 'removed' | 'changed';
  /** Changed fields of the policy (JSON pointers), for `changed`. */
  fields: DriftField[];
  /** Waves that select no cluster on the new side. */
  emptyWaves: string[];
}

export interface FleetPreview {
  from: string;
  to: string;
  /** One line each, most consequential first. */
  summary: string[];
  /** Every cluster on either side, by name; unchanged ones included. */
  clusters: ClusterPreview[];
  policies: PolicyChange[];
  changes: boolean;
}

export interface PreviewOptions {
  /** The agent's prune limit (share of its objects one sync may delete). @defaultValue 0.5 */
  pruneLimit: number;
}

export function previewFleet(from: { name: string; fleet: Fleet }, to: { name: string; fleet: Fleet }, options: PreviewOptions): FleetPreview {
  const before = renderFleet(from.fleet).results;
  const after = renderFleet(to.fleet).results;
  const waves = waveMoves(from.fleet, to.fleet);
  const links = [meshLinks(from.fleet), meshLinks(to.fleet)] as const;
  const names = [...new Set([...from.fleet.clusters.keys(), ...to.fleet.clusters.keys()])].sort();
  const clusters = names.map((cluster) => {
    const region = to.fleet.clusters.get(cluster)?.region ?? from.fleet.clusters.get(cluster)!.region;
    const objects = compareObjects(before.get(cluster), after.get(cluster), options.pruneLimit);
    const moved = (waves.get(cluster) ?? []).filter((move) => move.from !== move.to);
    const [linksBefore, linksAfter] = [links[0].get(cluster) ?? new Set<string>(), links[1].get(cluster) ?? new Set<string>()];
    const linksAdded = [...linksAfter].filter((link) => !linksBefore.has(link)).sort();
    const linksRemoved = [...linksBefore].filter((link) => !linksAfter.has(link)).sort();
    const status = !from.fleet.clusters.has(cluster) ? 'added'
      : !to.fleet.clusters.has(cluster) ? 'removed'
        : objects.created.length + objects.deleted.length + objects.changed.length + moved.length + linksAdded.length + linksRemoved.length > 0 ? 'changed' : 'unchanged';
    return { cluster, region, status, ...objects, waves: moved, linksAdded, linksRemoved } satisfies ClusterPreview;
  });
  const policies = comparePolicies(from.fleet, to.fleet);
  const changes = clusters.some((cluster) => cluster.status !== 'unchanged') || policies.length > 0;
  return { from: from.name, to: to.name, summary: summarize(clusters, policies), clusters, policies, changes };
}

function compareObjects(before: RenderResult | undefined, after: RenderResult | undefined, pruneLimit: number) {
  const old = new Map((before?.objects ?? []).map((rendered) => [rendered.id, rendered]));
  const next = new Map((after?.objects ?? []).map((rendered) => [rendered.id, rendered]));
  const created = [...next.keys()].filter((id) => !old.has(id)).map((id) => label(next.get(id)!));
  const deleted = [...old.values()].filter((rendered) => !next.has(rendered.id)).map(deletion);
  const changed = [...next.values()].flatMap((rendered) => {
    const previous = old.get(rendered.id);
    if (!previous || previous.hash === rendered.hash) return [];
    const fields = driftedFields(rendered.object, previous.object);
    return fields.length > 0 ? [{ object: label(rendered), fields }] : [];
  });
  const pruned = deleted.filter((entry) => entry.fate === 'pruned').length;
  // The agent counts against what it manages now, and a prune limit of 1 (or more) allows any share.
  const pruneLimitStops = old.size > 0 && pruneLimit < 1 && pruned / old.size > pruneLimit;
  return { created: created.sort(), deleted: deleted.sort((a, b) => compare(a.object, b.object)), changed: changed.sort((a, b) => compare(a.object, b.object)), pruneLimitStops };
}

function deletion(rendered: RenderedObject): ObjectDeletion {
  const object = label(rendered);
  if (!rendered.policy.prune) return { object, fate: 'kept: policy.prune is false' };
  if (rendered.object.metadata.annotations?.[PRUNE_ANNOTATION] === 'disabled') return { object, fate: `kept: ${PRUNE_ANNOTATION} annotation` };
  return { object, fate: 'pruned' };
}

function label(rendered: RenderedObject): string {
  return describeRef(refOf(rendered.object));
}

/** Every cluster's wave under each policy of either side, as `planRollout` (the hub's planner) assigns it. */
function waveMoves(from: Fleet, to: Fleet): Map<string, WaveMove[]> {
  const assign = (fleet: Fleet) => new Map(fleet.rolloutPolicies.map((policy) => [policy.name, waveOf(policy, fleet)]));
  const [old, next] = [assign(from), assign(to)];
  const moves = new Map<string, WaveMove[]>();
  for (const policy of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const names = new Set([...(old.get(policy)?.keys() ?? []), ...(next.get(policy)?.keys() ?? [])]);
    for (const cluster of names) {
      const move = { policy, from: old.get(policy)?.get(cluster) ?? null, to: next.get(policy)?.get(cluster) ?? null };
      moves.set(cluster, [...(moves.get(cluster) ?? []), move]);
    }
  }
  return moves;
}

function waveOf(policy: RolloutPolicy, fleet: Fleet): Map<string, string> {
  const plan = planRollout(policy, [...fleet.clusters.values()]);
  const waves = new Map<string, string>(plan.excluded.map((cluster) => [cluster, 'excluded']));
  for (const wave of plan.waves) for (const cluster of wave.clusters) waves.set(cluster, wave.name);
  return waves;
}

/** Each cluster's outgoing links `<type> <group>: <from> → <to>`: every member links to every other member. */
function meshLinks(fleet: Fleet): Map<string, Set<string>> {
  const links = new Map<string, Set<string>>();
  for (const group of fleet.meshGroups) {
    for (const source of group.members) {
      const outgoing = links.get(source) ?? new Set<string>();
      for (const target of group.members) if (source !== target) outgoing.add(`${group.type} ${group.name}: ${source} → ${target}`);
      links.set(source, outgoing);
    }
  }
  return links;
}

function comparePolicies(from: Fleet, to: Fleet): PolicyChange[] {
  const body = (policy: RolloutPolicy) => ({ ...policy, source: undefined });
  const old = new Map(from.rolloutPolicies.map((policy) => [policy.name, policy]));
  const next = new Map(to.rolloutPolicies.map((policy) => [policy.name, policy]));
  const changes: PolicyChange[] = [];
  for (const name of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const [previous, current] = [old.get(name), next.get(name)];
    const emptyWaves = current ? planRollout(current, [...to.clusters.values()]).waves.filter((wave) => wave.clusters.length === 0).map((wave) => wave.name) : [];
    if (!current) changes.push({ policy: name, status: 'removed', fields: [], emptyWaves });
    else if (!previous) changes.push({ policy: name, status: 'added', fields: [], emptyWaves });
    else {
      const fields = driftedFields(asObject(body(current)), asObject(body(previous)));
      const wasEmpty = planRollout(previous, [...from.clusters.values()]).waves.filter((wave) => wave.clusters.length === 0).map((wave) => wave.name);
      if (fields.length > 0 || emptyWaves.join() !== wasEmpty.join()) changes.push({ policy: name, status: 'changed', fields, emptyWaves });
    }
  }
  return changes;
}

/** Policies compare with the same field differ as objects do; they carry no metadata. */
function asObject(value: object): Parameters<typeof driftedFields>[0] {
  return { apiVersion: 'netfleet.io/v1alpha1', kind: 'RolloutPolicy', metadata: { name: '' }, ...JSON.parse(JSON.stringify(value)) };
}

function summarize(clusters: ClusterPreview[], policies: PolicyChange[]): string[] {
  const lines: string[] = [];
  const changing = clusters.filter((cluster) => cluster.status !== 'unchanged');
  lines.push(changing.length === 0 ? 'no cluster changes' : `${count(changing.length, 'cluster')} of ${clusters.length} change`);
  for (const status of ['added', 'removed'] as const) {
    const named = clusters.filter((cluster) => cluster.status === status).map((cluster) => cluster.cluster);
    if (named.length > 0) lines.push(`${count(named.length, 'cluster')} ${status === 'added' ? 'join' : 'leave'} the inventory: ${list(named)}`);
  }
  const stopped = clusters.filter((cluster) => cluster.pruneLimitStops).map((cluster) => cluster.cluster);
  if (stopped.length > 0) lines.push(`the prune limit stops the sync on ${count(stopped.length, 'cluster')} (nothing is deleted there until it is raised or the sync overrides it): ${list(stopped)}`);
  const tally = (verb: string, objects: (cluster: ClusterPreview) => string[]) => {
    const byObject = new Map<string, number>();
    for (const cluster of changing) for (const object of objects(cluster)) byObject.set(object, (byObject.get(object) ?? 0) + 1);
    for (const [object, n] of [...byObject].sort((a, b) => b[1] - a[1] || compare(a[0], b[0]))) lines.push(`${count(n, 'cluster')} ${verb} ${object}`);
  };
  tally('lose', (cluster) => cluster.deleted.filter((entry) => entry.fate === 'pruned').map((entry) => entry.object));
  tally('leave in place', (cluster) => cluster.deleted.filter((entry) => entry.fate !== 'pruned').map((entry) => `${entry.object} (no longer managed)`));
  tally('gain', (cluster) => cluster.created);
  tally('change', (cluster) => cluster.changed.map((entry) => entry.object));
  for (const policy of policies) {
    if (policy.status !== 'changed') lines.push(`rollout policy ${policy.policy} is ${policy.status}`);
    else if (policy.fields.length > 0) lines.push(`rollout policy ${policy.policy} changes: ${policy.fields.map((field) => field.path).join(', ')}`);
    for (const wave of policy.emptyWaves) lines.push(`the ${wave} wave of rollout policy ${policy.policy} is now empty`);
  }
  const moved = changing.filter((cluster) => cluster.waves.length > 0).length;
  if (moved > 0) lines.push(`${count(moved, 'cluster')} change rollout wave`);
  const added = clusters.reduce((sum, cluster) => sum + cluster.linksAdded.length, 0);
  const removed = clusters.reduce((sum, cluster) => sum + cluster.linksRemoved.length, 0);
  if (added + removed > 0) lines.push(`mesh links: ${added} added, ${removed} removed`);
  return lines;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function list(names: string[]): string {
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')} and ${names.length - 8} more`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
