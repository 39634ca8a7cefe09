import { useState } from 'preact/hooks';
import type { LinkCell, LinkKind, MeshGroupMatrix } from '@netfleet/shared/protocol/links';
import type { Session } from '../main.js';
import { useData } from '../use-data.js';
import { ago, certificateText } from '../format.js';

/** Each state has a letter as well as a colour, so the matrix does not rely on colour alone. */
const STATES: [string, string][] = [
  ['healthy', '✓'], ['pending', 'P'], ['degraded', 'D'], ['stale', 'S'], ['one-sided', '1'], ['unreachable', 'U'],
  ['incomplete', 'I'], ['misconfigured', 'M'], ['module-not-enabled', 'N'], ['missing', '∅'], ['unknown', '?'],
];
const LETTER = Object.fromEntries(STATES);

/** An opened cell: the matrix's figures, and since when and the last exchange from the link's own report. */
function LinkDetail({ session, kind, cell, onClose }: { session: Session; kind: LinkKind; cell: LinkCell; onClose: () => void }) {
  const { data, error } = useData(() => session.api.linkDetail(cell.from, cell.to), [session.api, cell.from, cell.to], session.version);
  const reported = data?.links.find((link) => link.observation.kind === kind);
  const working = cell.state === 'healthy';
  return (
    <aside class="link-detail" aria-label="Selected link">
      <h2>{cell.from} → {cell.to}</h2>
      {error && <p role="alert" class="error">{error}</p>}
      <dl class="facts">
        <dt>State</dt><dd>{cell.state}{cell.reason ? ` (${cell.reason})` : ''}</dd>
        {cell.message && <><dt>Message</dt><dd>{cell.message}</dd></>}
        <dt>Failing since</dt><dd>{!data ? 'loading…' : working ? 'not failing' : reported?.failingSince ? ago(reported.failingSince) : 'unknown (before the hub kept the time, or not reported)'}</dd>
        <dt>Last metadata exchange</dt><dd>{!data ? 'loading…' : reported?.observation.lastExchangeAt ? ago(reported.observation.lastExchangeAt) : 'none recorded'}</dd>
        <dt>Probe</dt><dd>{cell.probeOutcome ?? 'none'}{cell.latencyMs !== undefined ? `, ${cell.latencyMs} ms` : ''}</dd>
        <dt>Certificate</dt><dd>{certificateText(cell.certificateDaysLeft)}</dd>
        <dt>Managed</dt><dd>{cell.managed === false ? 'no' : 'yes'}</dd>
      </dl>
      <button type="button" onClick={onClose}>Close</button>
    </aside>
  );
}

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
  const [open, setOpen] = useState<{ group: string; from: string; to: string }>();
  // The opened cell as the latest matrix has it, so live updates reach it too.
  const openGroup = open && data?.groups.find((group) => group.group === open.group);
  const openCell = open && openGroup?.cells.find((cell) => cell.from === open.from && cell.to === open.to);
  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">Links</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data?.partitions.map((partition) => <p key={partition.id} class="banner" role="alert">{partition.message}</p>)}
      <ul class="legend" aria-label="Legend">{STATES.map(([state, letter]) => <li key={state}><span class={`swatch link-${state}`}>{letter}</span> {state}</li>)}</ul>
      {openGroup && openCell && <LinkDetail key={`${openGroup.group}:${openCell.from}>${openCell.to}`} session={session} kind={openGroup.kind} cell={openCell} onClose={() => setOpen(undefined)} />}
      {data?.groups.map((group) => (
        <article key={group.group} class="mesh-group">
          <h2>{group.group} <small>({group.kind}, {group.clusters.length} clusters)</small></h2>
          <ul class="findings">{group.findings.map((finding) => <li key={finding.id}>{finding.message}</li>)}</ul>
          <div class="matrix-scroll" tabIndex={0}><Matrix group={group} onOpen={(cell) => setOpen({ group: group.group, from: cell.from, to: cell.to })} /></div>
        </article>
      ))}
      {data && data.groups.length === 0 && <p>No mesh groups declared.</p>}
    </section>
  );
}
