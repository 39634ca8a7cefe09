import { useState } from 'preact/hooks';
import type { RolloutDetail } from '@netfleet/shared/protocol/rollout';
import type { RolloutAction } from '../api.js';
import type { Session } from '../main.js';
import { describeError, useData } from '../use-data.js';
import { ago, shortRevision } from '../format.js';

export function RolloutsPage({ session }: { session: Session }) {
  const { data, error } = useData(() => session.api.rollouts(), [session.api], session.version);
  return (
    <section aria-labelledby="rollouts-title">
      <h1 id="rollouts-title">Rollouts</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data && data.items.length === 0 && <p>No rollouts yet.</p>}
      {data && data.items.length > 0 && (
        <table>
          <thead><tr><th scope="col">Rollout</th><th scope="col">Revision</th><th scope="col">Phase</th><th scope="col">Wave</th><th scope="col">Clusters</th><th scope="col">Held by</th><th scope="col">Updated</th></tr></thead>
          <tbody>{data.items.map((rollout) => (
            <tr key={rollout.id}>
              <td><a href={`#/rollouts/${encodeURIComponent(rollout.id)}`}>{rollout.id}</a></td>
              <td class="mono">{shortRevision(rollout.revision)}</td><td class={`phase phase-${rollout.phase}`}>{rollout.phase}</td>
              <td>{Math.min(rollout.wave + 1, rollout.waveCount)} of {rollout.waveCount}</td><td>{rollout.clusterCount}</td>
              <td>{rollout.hold ? `${rollout.hold.reason} (${rollout.hold.clusters.length} clusters)` : '—'}</td><td>{ago(rollout.updatedAt)}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
    </section>
  );
}

/** What each control does, said before an admin confirms it. */
const CONSEQUENCES: Record<RolloutAction, (rollout: RolloutDetail) => string> = {
  pause: (r) => `Pause rollout ${r.id}: no further cluster is given revision ${shortRevision(r.revision)} until it is resumed.`,
  resume: (r) => `Resume rollout ${r.id}: wave ${r.wave + 1} continues giving revision ${shortRevision(r.revision)} to its clusters.`,
  promote: (r) => `Promote rollout ${r.id}: skip the rest of the bake of wave ${r.wave + 1} and start the next wave now.`,
  abort: (r) => `Abort rollout ${r.id}: stop here; clusters keep the revision they run now and no other is given.`,
  rollback: (r) => `Roll back rollout ${r.id}: every cluster it updated is given ${shortRevision(r.previousRevision)} again.`,
};

/** The controls the hub accepts in the rollout's state (hub/src/rollout/machine.ts); it refuses the rest, saying why. */
function allowedActions(rollout: RolloutDetail): RolloutAction[] {
  const { phase } = rollout;
  if (['done', 'rolledBack', 'aborted', 'superseded'].includes(phase)) return [];
  return [
    ...(['pending', 'progressing', 'baking'].includes(phase) ? ['pause' as const] : []),
    ...(phase === 'paused' || phase === 'failed' ? ['resume' as const] : []),
    ...(phase === 'baking' && !rollout.blackout.active ? ['promote' as const] : []),
    'abort',
    ...(rollout.previousRevision ? ['rollback' as const] : []),
  ];
}

interface Pending {
  label: string;
  consequence: string;
  run: () => Promise<RolloutDetail>;
}

function Controls({ session, rollout, onDone }: { session: Session; rollout: RolloutDetail; onDone: () => void }) {
  const [pending, setPending] = useState<Pending>();
  const [outcome, setOutcome] = useState<string>();
  const actions = allowedActions(rollout);
  const failed = rollout.waves.flatMap((wave) => wave.clusters).filter((cluster) => cluster.status === 'failed');
  const confirm = async () => {
    if (!pending) return;
    try {
      await pending.run();
      setOutcome(`${pending.label}: done.`);
    } catch (error) {
      setOutcome(`${pending.label} refused: ${describeError(error)}`);
    }
    setPending(undefined);
    onDone();
  };
  return (
    <div class="controls" aria-label="Rollout controls" role="group">
      {actions.map((action) => (
        <button key={action} type="button" onClick={() => setPending({ label: action, consequence: CONSEQUENCES[action](rollout), run: () => session.api.control(rollout.id, action) })}>{action}</button>
      ))}
      {failed.map((cluster) => (
        <button key={cluster.name} type="button" onClick={() => setPending({
          label: `retry ${cluster.name}`, consequence: `Give cluster ${cluster.name} revision ${shortRevision(rollout.revision)} again (attempt ${cluster.attempt + 1}).`,
          run: () => session.api.retry(rollout.id, cluster.name),
        })}>retry {cluster.name}</button>
      ))}
      {pending && (
        <div role="alertdialog" aria-modal="false" aria-labelledby="confirm-text" class="confirm">
          <p id="confirm-text">{pending.consequence}</p>
          <button type="button" class="danger" onClick={() => void confirm()}>Confirm {pending.label}</button>
          <button type="button" onClick={() => setPending(undefined)}>Cancel</button>
        </div>
      )}
      {outcome && <p role="status">{outcome}</p>}
    </div>
  );
}

export function RolloutPage({ session, id }: { session: Session; id: string }) {
  const [local, setLocal] = useState(0);
  const { data: rollout, error } = useData(() => session.api.rollout(id), [session.api, id, local], session.version);
  if (!rollout) return <section><h1>Rollout {id}</h1>{error ? <p role="alert" class="error">{error}</p> : <p>loading…</p>}</section>;
  return (
    <section aria-labelledby="rollout-title">
      <h1 id="rollout-title">Rollout {rollout.id}</h1>
      {error && <p role="alert" class="error">{error}</p>}
      <dl class="facts">
        <dt>Phase</dt><dd class={`phase phase-${rollout.phase}`} data-phase={rollout.phase}>{rollout.phase}</dd>
        <dt>Revision</dt><dd class="mono">{shortRevision(rollout.revision)} (from {shortRevision(rollout.previousRevision)})</dd>
        <dt>Policy</dt><dd>{rollout.policy}, on failure {rollout.failurePolicy}</dd>
        <dt>Held by</dt><dd>{rollout.hold ? `${rollout.hold.reason}: ${rollout.hold.clusters.join(', ')}${rollout.hold.until ? ` until ${rollout.hold.until}` : ''}` : 'nothing'}</dd>
        <dt>Blackout</dt><dd>{rollout.blackout.active ? `active, ends ${rollout.blackout.endsAt ?? 'unknown'}` : 'none'}</dd>
        {rollout.reason && <><dt>Reason</dt><dd>{rollout.reason}</dd></>}
      </dl>
      {session.role === 'admin' && <Controls session={session} rollout={rollout} onDone={() => setLocal((count) => count + 1)} />}
      <h2>Waves</h2>
      <ol class="timeline">{rollout.waves.map((wave, index) => (
        <li key={wave.name} class={`wave wave-${wave.state}`} aria-current={index === rollout.wave ? 'step' : undefined}>
          <h3>{wave.name} <small>{wave.state}{wave.bakeStartedAt && wave.state === 'baking' ? `, bake ends in ${bakeLeft(wave.bakeStartedAt, wave.bakeTimeSeconds)}` : ''}</small></h3>
          <ul class="wave-clusters">{wave.clusters.map((cluster) => (
            <li key={cluster.name} class={`cluster-status status-${cluster.status}`}>
              <a href={`#/clusters/${encodeURIComponent(cluster.name)}`}>{cluster.name}</a> {cluster.status}
              {cluster.failingGates.length > 0 && ` — failing ${cluster.failingGates.map((gate) => `${gate}${cluster.gateDetails?.[gate] ? ` (${cluster.gateDetails[gate]})` : ''}`).join(', ')}`}
            </li>
          ))}</ul>
        </li>
      ))}</ol>
      <h2>Events</h2>
      <ol class="events">{rollout.notices.map((notice) => <li key={`${notice.at}-${notice.kind}-${notice.cluster ?? ''}`}><time dateTime={notice.at}>{ago(notice.at)}</time> <strong>{notice.kind}</strong> {notice.message}</li>)}</ol>
    </section>
  );
}

function bakeLeft(startedAt: string, seconds: number): string {
  const left = Math.max(0, Math.round((Date.parse(startedAt) + seconds * 1000 - Date.now()) / 1000));
  return left >= 60 ? `${Math.floor(left / 60)} min ${left % 60} s` : `${left} s`;
}
