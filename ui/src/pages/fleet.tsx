import { useMemo, useState } from 'preact/hooks';
import type { ClusterSummary } from '@netfleet/shared/protocol/schemas';
import type { Session } from '../main.js';
import { useData } from '../use-data.js';
import { VirtualRows } from '../virtual-rows.js';
import { ago, labelText, shortRevision } from '../format.js';

const SORTS: Record<string, (a: ClusterSummary, b: ClusterSummary) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  region: (a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name),
  state: (a, b) => a.state.localeCompare(b.state) || a.name.localeCompare(b.name),
  drift: (a, b) => b.driftCount - a.driftCount || a.name.localeCompare(b.name),
  'last seen': (a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? '') || a.name.localeCompare(b.name),
};

/** The applied revision, and the assigned one after an arrow while the cluster has not applied it yet. */
function revisionText({ revision, assignedRevision }: ClusterSummary): string {
  return assignedRevision && assignedRevision !== revision ? `${shortRevision(revision)} → ${shortRevision(assignedRevision)}` : shortRevision(revision);
}

/** A cluster's links at a glance: how many fail, or that none does; '—' before any count. */
function linkHealthText(health: ClusterSummary['linkHealth']): string {
  if (!health || health.total === 0) return '—';
  return health.failing > 0 ? `${health.failing} of ${health.total} failing` : `${health.total} ok`;
}

/** `key=value` matches that label; `key` alone matches any cluster carrying it. */
function labelMatches(cluster: ClusterSummary, selector: string): boolean {
  if (!selector) return true;
  const [key = '', value] = selector.split('=', 2).map((part) => part.trim());
  return value === undefined ? key in cluster.labels : cluster.labels[key] === value;
}

export function FleetPage({ session }: { session: Session }) {
  // The first load shows each page as it arrives; a live reload keeps the whole list shown until it has the next one.
  const [partial, setPartial] = useState<{ items: ClusterSummary[]; total: number }>();
  const { data, error } = useData(() => session.api.allClusters((items, total) => setPartial({ items, total })), [session.api], session.version);
  const [search, setSearch] = useState('');
  const [region, setRegion] = useState('');
  const [state, setState] = useState('');
  const [label, setLabel] = useState('');
  const [sort, setSort] = useState('name');
  const clusters = data ?? partial?.items ?? [];
  const regions = useMemo(() => [...new Set(clusters.map((cluster) => cluster.region))].sort(), [clusters]);
  const shown = useMemo(() => clusters
    .filter((cluster) => (!search || cluster.name.includes(search.trim())) && (!region || cluster.region === region)
      && (!state || cluster.state === state) && labelMatches(cluster, label))
    .sort(SORTS[sort]), [clusters, search, region, state, label, sort]);
  return (
    <section aria-labelledby="fleet-title">
      <h1 id="fleet-title">Fleet</h1>
      {error && <p role="alert" class="error">{error}</p>}
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        <div><label for="fleet-search">Search</label><input id="fleet-search" type="search" value={search} onInput={(event) => setSearch(event.currentTarget.value)} placeholder="cluster name" /></div>
        <div><label for="fleet-region">Region</label><select id="fleet-region" value={region} onChange={(event) => setRegion(event.currentTarget.value)}>
          <option value="">all</option>{regions.map((name) => <option key={name}>{name}</option>)}
        </select></div>
        <div><label for="fleet-state">State</label><select id="fleet-state" value={state} onChange={(event) => setState(event.currentTarget.value)}>
          <option value="">all</option>{['online', 'offline', 'registered', 'revoked'].map((name) => <option key={name}>{name}</option>)}
        </select></div>
        <div><label for="fleet-label">Label</label><input id="fleet-label" value={label} onInput={(event) => setLabel(event.currentTarget.value)} placeholder="key=value" /></div>
        <div><label for="fleet-sort">Sort by</label><select id="fleet-sort" value={sort} onChange={(event) => setSort(event.currentTarget.value)}>
          {Object.keys(SORTS).map((name) => <option key={name}>{name}</option>)}
        </select></div>
      </form>
      <p class="count" aria-live="polite">{data ? `${shown.length} of ${clusters.length} clusters` : partial ? `loading: ${partial.items.length} of ${partial.total} clusters so far` : 'loading…'}</p>
      <div class="fleet-row fleet-head" aria-hidden="true">
        <span>Cluster</span><span>Region</span><span>State</span><span>Revision</span><span>Sync</span><span>Drift</span><span>Links</span><span>Labels</span><span>Last seen</span>
      </div>
      <VirtualRows items={shown} rowHeight={36} label="Clusters" row={(cluster) => (
        <a class="fleet-row" href={`#/clusters/${encodeURIComponent(cluster.name)}`} data-cluster={cluster.name}>
          <span class="name">{cluster.name}</span>
          <span>{cluster.region}</span>
          <span class={`state state-${cluster.state}`}>{cluster.state}</span>
          <span class="mono revision">{revisionText(cluster)}</span>
          <span class="sync">{cluster.syncStatus ? `${cluster.syncStatus}${cluster.syncReason ? ` (${cluster.syncReason})` : ''}` : '—'}</span>
          <span class={cluster.driftCount > 0 ? 'drift' : ''}>{cluster.driftCount > 0 ? `${cluster.driftCount} drifted` : 'none'}</span>
          <span class={cluster.linkHealth?.failing ? 'links failing' : 'links'}>{linkHealthText(cluster.linkHealth)}</span>
          <span class="labels">{labelText(cluster.labels)}</span>
          <span>{ago(cluster.lastSeen)}</span>
        </a>
      )} />
    </section>
  );
}
