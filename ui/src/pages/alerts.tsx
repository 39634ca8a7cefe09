import type { Session } from '../main.js';
import { useData } from '../use-data.js';
import { ago } from '../format.js';

/** Firing alerts first, then recently resolved ones, each linked to what it is about. */
export function AlertsPage({ session }: { session: Session }) {
  const { data, error } = useData(() => session.api.alerts(), [session.api], session.version);
  const alerts = [...(data?.items ?? [])].sort((a, b) => (a.status === b.status ? b.startsAt.localeCompare(a.startsAt) : a.status === 'firing' ? -1 : 1));
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {data && alerts.length === 0 && <p>No alerts.</p>}
      {alerts.length > 0 && (
        <table>
          <thead><tr><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Alert</th><th scope="col">About</th><th scope="col">Since</th></tr></thead>
          <tbody>{alerts.map((alert) => (
            <tr key={alert.fingerprint} class={`alert-${alert.status}`}>
              <td>{alert.status}</td><td class={`severity-${alert.severity}`}>{alert.severity}</td>
              <td><strong>{alert.rule}</strong>: {alert.summary}</td>
              <td>
                {alert.labels.cluster && <a href={`#/clusters/${encodeURIComponent(alert.labels.cluster)}`}>cluster {alert.labels.cluster}</a>}
                {alert.labels.rollout && <> <a href={`#/rollouts/${encodeURIComponent(alert.labels.rollout)}`}>rollout {alert.labels.rollout}</a></>}
              </td>
              <td>{ago(alert.startsAt)}{alert.endsAt ? `, resolved ${ago(alert.endsAt)}` : ''}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
    </section>
  );
}
