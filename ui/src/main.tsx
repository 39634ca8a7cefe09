import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { HubApi, type Role } from './api.js';
import { connectLive } from './live.js';
import { describeError } from './use-data.js';
import { FleetPage } from './pages/fleet.js';
import { ClusterPage } from './pages/cluster.js';
import { AlertsPage } from './pages/alerts.js';
import { RolloutsPage, RolloutPage } from './pages/rollouts.js';
import { LinksPage } from './pages/links.js';
import './style.css';

/** What every page gets: the API, the caller's role, and the live version that changes on each update. */
export interface Session {
  api: HubApi;
  role: Role;
  version: number;
}

/** Routes live in the hash (`#/clusters/eu-1`), so the hub serves one page and no token is ever in a URL. */
function useRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    // The hash may have changed between the first render and this effect (which runs later).
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSignedIn }: { onSignedIn: (api: HubApi, role: Role) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const api = new HubApi(token.trim());
    try {
      const { role } = await api.whoami();
      onSignedIn(api, role);
    } catch (failure) {
      setError(`Sign-in failed: ${describeError(failure)}. Use an admin or read-only hub API token.`);
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>netfleet</h1>
      <form onSubmit={submit}>
        <label for="token">Hub API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required value={token} onInput={(event) => setToken(event.currentTarget.value)} />
        <button type="submit" disabled={busy}>Sign in</button>
        {error && <p role="alert" class="error">{error}</p>}
      </form>
      <p class="note">The token is kept in this tab's memory only; reloading the page signs out.</p>
    </main>
  );
}

const NAV: [string, string][] = [['fleet', 'Fleet'], ['links', 'Links'], ['rollouts', 'Rollouts'], ['alerts', 'Alerts']];

function Dashboard({ api, role, onSignOut }: { api: HubApi; role: Role; onSignOut: () => void }) {
  const route = useRoute();
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  useEffect(() => connectLive(api.token, () => setVersion((value) => value + 1), setLive), [api]);
  const session: Session = { api, role, version };
  const [page = 'fleet', id] = route;
  return (
    <>
      <header>
        <a class="brand" href="#/fleet">netfleet</a>
        <nav aria-label="Pages">
          {NAV.map(([key, title]) => <a key={key} href={`#/${key}`} aria-current={page === key || (page === 'clusters' && key === 'fleet') ? 'page' : undefined}>{title}</a>)}
        </nav>
        <span class="status" role="status">{live ? 'live' : 'reconnecting…'} · signed in as {role}</span>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      <main id="main">
        {page === 'clusters' && id ? <ClusterPage session={session} name={id} />
          : page === 'rollouts' && id ? <RolloutPage session={session} id={id} />
            : page === 'rollouts' ? <RolloutsPage session={session} />
              : page === 'alerts' ? <AlertsPage session={session} />
                : page === 'links' ? <LinksPage session={session} />
                  : <FleetPage session={session} />}
      </main>
    </>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState<{ api: HubApi; role: Role }>();
  if (!signedIn) return <SignIn onSignedIn={(api, role) => setSignedIn({ api, role })} />;
  return <Dashboard api={signedIn.api} role={signedIn.role} onSignOut={() => setSignedIn(undefined)} />;
}

render(<App />, document.getElementById('app')!);
