import { useState } from 'preact/hooks';
import type { LinkCell, MeshGroupMatrix } from '@netfleet/shared/protocol/links';
import type { Session } from '../main.js';
import { useData } from '../use-data.js';
import { certificateText } from '../format.js';

/** Each state has a letter as well as a colour, so the matrix does not rely on colour alone. */
const STATES: [string, string][] = [
  ['healthy', '✓'], ['pending', 'P'], ['degraded', 'D'], ['stale', 'S'], ['one-sided', '1'], ['unreachable', 'U'],
  ['incomplete', 'I'], ['misconfigured', 'M'], ['module-not-enabled', 'N'], ['missing', '∅'], ['unknown', '?'],
];
const LETTER = Object.fromEntries(STATES);

function Matrix({ group, onOpen }: { group: MeshGroupMatrix; onOpen: (cell: LinkCell) => void }) {
  const cells = new Map(group.cells.map((cell) => [`${cell.from}\u0000${cell.to}`, cell]));
  return (
    <table class="matrix" aria-label={`Links of mesh group ${group.group}: rows are the source cluster, columns the peer`}>
      <thead><tr><td />{group.clusters.map((to) => <th key={to.name} scope="col"><span>{to.name}</span></th>)}</tr></thead>
      <tbody>{group.clusters.map((from) => (
        <tr key={from.name}>
          <th scope="row">{from.name} <small>{from.region}</small></th>
          {group.clusters.map((to) => {
            const cell = cells.get(`${from.name}\u0000${to.name}`);
            if (!cell) return <td key={to.name} class="self" />;
            return (
              <td key={to.name} class={`cell link-${cell.state}`}>
                <button type="button" data-link={`${cell.from}>${cell.to}`} title={`${cell.from} → ${cell.to}: ${cell.state}`} aria-label={`${cell.from} to ${cell.to}: ${cell.state}`} onClick={() => onOpen(cell)}>{LETTER[cell.state] ?? '?'}</button>
              </td>
            );
          })}
        </tr>
      ))}</tbody>
    </table>
  );
}

export function LinksPage({ session }: { session: Session }) {
  const { data, error } = useData(() => session.api.links(), [session.api], session.version);
  const [open, setOpen] = useState<LinkCell>();
  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">Links</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data?.partitions.map((partition) => <p key={partition.id} class="banner" role="alert">{partition.message}</p>)}
      <ul class="legend" aria-label="Legend">{STATES.map(([state, letter]) => <li key={state}><span class={`swatch link-${state}`}>{letter}</span> {state}</li>)}</ul>
      {open && (
        <aside class="link-detail" aria-label="Selected link">
          <h2>{open.from} → {open.to}</h2>
          <dl class="facts">
            <dt>State</dt><dd>{open.state}{open.reason ? ` (${open.reason})` : ''}</dd>
            {open.message && <><dt>Message</dt><dd>{open.message}</dd></>}
            <dt>Probe</dt><dd>{open.probeOutcome ?? 'none'}{open.latencyMs !== undefined ? `, ${open.latencyMs} ms` : ''}</dd>
            <dt>Certificate</dt><dd>{certificateText(open.certificateDaysLeft)}</dd>
            <dt>Managed</dt><dd>{open.managed === false ? 'no' : 'yes'}</dd>
          </dl>
          <button type="button" onClick={() => setOpen(undefined)}>Close</button>
        </aside>
      )}
      {data?.groups.map((group) => (
        <article key={group.group} class="mesh-group">
          <h2>{group.group} <small>({group.kind}, {group.clusters.length} clusters)</small></h2>
          <ul class="findings">{group.findings.map((finding) => <li key={finding.id}>{finding.message}</li>)}</ul>
          <div class="matrix-scroll" tabIndex={0}><Matrix group={group} onOpen={setOpen} /></div>
        </article>
      ))}
      {data && data.groups.length === 0 && <p>No mesh groups declared.</p>}
    </section>
  );
}
