import type { DriftItem } from '@netfleet/shared/drift';
import type { ClusterDetail, ClusterEvent, SyncEventDetail } from '@netfleet/shared/protocol/schemas';
import type { LinkObservation } from '@netfleet/shared/protocol/links';
import type { Session } from '../main.js';
import { useData } from '../use-data.js';
import { ago, duration, labelText, shortRevision } from '../format.js';

const show = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));

/** Drift as a field diff: desired beside live, one row per field (the hub hides Secret values). */
function DriftDiff({ item }: { item: DriftItem }) {
  const { subject } = item;
  return (
    <article class="drift-item" data-drift={item.id}>
      <h3>{subject.kind} {subject.namespace ? `${subject.namespace}/` : ''}{subject.name} <small>({item.type}, policy {item.policy})</small></h3>
      {item.message && <p>{item.message}</p>}
      {item.fields.length > 0 && (
        <table class="diff">
          <thead><tr><th scope="col">Field</th><th scope="col">Desired (repository)</th><th scope="col">Live (cluster)</th></tr></thead>
          <tbody>{item.fields.map((field) => (
            <tr key={field.path}><th scope="row" class="mono">{field.path}</th><td class="mono desired">{show(field.desired)}</td><td class="mono live">{show(field.live)}</td></tr>
          ))}</tbody>
        </table>
      )}
    </article>
  );
}

/** Links of one direction: each with its peer, state, DKP's last exchange and the probe. */
function LinkTable({ peerHeading, rows }: { peerHeading: string; rows: { peer: string; observation: LinkObservation }[] }) {
  if (rows.length === 0) return <p>No links reported.</p>;
  return (
    <table>
      <thead><tr><th scope="col">Link</th><th scope="col">{peerHeading}</th><th scope="col">State</th><th scope="col">Last exchange</th><th scope="col">Probe</th></tr></thead>
      <tbody>{rows.map(({ peer, observation: link }) => (
        <tr key={`${peer}/${link.kind}/${link.name}`}><td>{link.kind} {link.name}</td><td>{peer}</td>
          <td class={`link link-${link.state}`}>{link.state}{link.state !== 'healthy' ? ` — ${link.message}` : ''}</td>
          <td>{ago(link.lastExchangeAt)}</td><td>{link.probe ? `${link.probe.outcome}${link.probe.latencyMs !== undefined ? `, ${link.probe.latencyMs} ms` : ''}` : '—'}</td></tr>
      ))}</tbody>
    </table>
  );
}

/** One row of the last syncs: from a sync event, or the cluster's last sync when no event holds it. */
interface SyncRow {
  at: string;
  revision: string;
  /** The report's sequence number: the agent's order, which the hub's receive order may not keep. */
  seq: number;
  sync: SyncEventDetail;
}

/** The change set's counts under the names operators use: updated is `configured`, pruned is `deleted`. */
const count = (changes: Record<string, number>, action: string) => changes[action] ?? 0;

function LastSyncs({ detail, events }: { detail: ClusterDetail; events: ClusterEvent[] }) {
  const rows: SyncRow[] = events.flatMap((event) => (event.type === 'sync' && event.sync ? [{ at: event.time, revision: event.revision ?? '', seq: event.seq ?? 0, sync: event.sync }] : []))
    .sort((a, b) => b.seq - a.seq);
  if (rows.length === 0 && detail.sync) rows.push({ at: detail.sync.at, revision: detail.sync.revision, seq: 0, sync: detail.sync });
  if (rows.length === 0) return <p>No sync reported yet.</p>;
  return (
    <>
      <table class="syncs">
        <thead><tr>
          <th scope="col">When</th><th scope="col">Revision</th><th scope="col">Status (reason)</th><th scope="col">Duration</th>
          <th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Pruned</th>
        </tr></thead>
        <tbody>{rows.map(({ at, revision, seq, sync }) => (
          <tr key={`${seq}-${at}`} data-seq={seq}>
            <td><time dateTime={at}>{ago(at)}</time></td><td class="mono">{shortRevision(revision)}</td>
            <td class={`sync sync-${sync.status}`}>{sync.status} ({sync.reason})</td><td class="duration">{duration(sync.durationMs)}</td>
            <td class="num created">{count(sync.changes, 'created')}</td><td class="num updated">{count(sync.changes, 'configured')}</td>
            <td class="num pruned">{count(sync.changes, 'deleted')}</td>
          </tr>
        ))}</tbody>
      </table>
      {detail.sync?.error && <p class="error">Last sync: {detail.sync.error}</p>}
    </>
  );
}

export function ClusterPage({ session, name }: { session: Session; name: string }) {
  const { api, version } = session;
  const { data, error } = useData(async () => {
    const [detail, drift, events, links, incoming, rollout] = await Promise.all([
      api.cluster(name), api.drift(name), api.events(name), api.clusterLinks(name), api.incomingLinks(name), api.currentRollout(),
    ]);
    return { detail, drift, events: events.items, links, incoming, rollout };
  }, [api, name], version);
  if (!data) return <section><h1>Cluster {name}</h1>{error ? <p role="alert" class="error">{error}</p> : <p>loading…</p>}</section>;
  const { detail, drift, events, links, incoming, rollout } = data;
  const waveIndex = rollout ? rollout.waves.findIndex((wave) => wave.clusters.some((cluster) => cluster.name === name)) : -1;
  const wave = rollout?.waves[waveIndex];
  const inWave = wave?.clusters.find((cluster) => cluster.name === name);
  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title">Cluster {detail.name}</h1>
      {error && <p role="alert" class="error">{error}</p>}
      <dl class="facts">
        <dt>State</dt><dd class={`state state-${detail.state}`}>{detail.state}</dd>
        <dt>Region</dt><dd>{detail.region}</dd>
        <dt>Labels</dt><dd>{labelText(detail.labels) || 'none'}</dd>
        <dt>Applied revision</dt><dd class="mono">{shortRevision(detail.revision)}</dd>
        <dt>Assigned revision</dt><dd><span class="mono">{shortRevision(detail.assignedRevision)}</span>{detail.assignedRevision && detail.assignedRevision !== detail.revision ? ' (not applied yet)' : ''}</dd>
        <dt>Last seen</dt><dd>{ago(detail.lastSeen)}</dd>
        <dt>Registered</dt><dd>{ago(detail.registeredAt)} (key generation {detail.keyGeneration})</dd>
        <dt>Agent</dt><dd>{detail.agentVersion || 'unknown'}, {detail.objects} objects</dd>
      </dl>
      <h2>Last syncs</h2>
      <LastSyncs detail={detail} events={events} />
      <h2>Rollout</h2>
      {rollout && wave && inWave ? (
        <p><a href={`#/rollouts/${encodeURIComponent(rollout.id)}`}>Rollout {rollout.id}</a> ({rollout.phase}): wave {waveIndex + 1} of {rollout.waves.length}, {wave.name} ({wave.state}); this cluster {inWave.status}
          {inWave.failingGates.length > 0 && `, failing ${inWave.failingGates.join(', ')}`}</p>
      ) : <p>{rollout ? `Not in rollout ${rollout.id}.` : 'No rollout in progress.'}</p>}
      <h2>Drift <span class="count">({drift.items.length})</span></h2>
      {drift.items.length === 0 ? <p>No drift.</p> : drift.items.map((item) => <DriftDiff key={item.id} item={item} />)}
      {drift.truncated && <p>The agent reported more drift than the hub keeps; the list is cut.</p>}
      <h2>Links out <small>(as this cluster reports them)</small></h2>
      <LinkTable peerHeading="Peer" rows={(links?.links ?? []).map((observation) => ({ peer: observation.peerDomain || observation.metadataEndpoint, observation }))} />
      <h2>Links in <small>(as its peers report them)</small></h2>
      <LinkTable peerHeading="From" rows={(incoming?.links ?? []).map(({ from, observation }) => ({ peer: from, observation }))} />
      <h2>Recent events</h2>
      <ol class="events">{events.map((event) => <li key={`${event.time}-${event.type}-${event.seq ?? ''}`}><time dateTime={event.time}>{ago(event.time)}</time> <strong>{event.type}</strong> {event.message}</li>)}</ol>
    </section>
  );
}
