import { useEffect, useRef, useState, type FormEvent } from 'react';
import { verifyKey } from './api.ts';
import { Link, match, useLocation } from './router.tsx';
import { SessionProvider, useSession, useStoredKey } from './session.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { Messages } from './pages/Messages.tsx';
import { MessagePage } from './pages/MessagePage.tsx';
import { Campaigns } from './pages/Campaigns.tsx';
import { CampaignPage } from './pages/CampaignPage.tsx';
import { CampaignForm } from './pages/CampaignForm.tsx';
import { Contacts } from './pages/Contacts.tsx';
import { ContactPage } from './pages/ContactPage.tsx';
import { Providers } from './pages/Providers.tsx';
import { Outbox } from './pages/Outbox.tsx';
import { Icon } from './components/icons.tsx';
import { OutboxItem } from './pages/OutboxItem.tsx';
import { Keys } from './pages/Keys.tsx';
import { EndpointPage, Endpoints } from './pages/Endpoints.tsx';
import { Audit } from './pages/Audit.tsx';
import { Templates } from './pages/Templates.tsx';
import { TemplatePage } from './pages/TemplatePage.tsx';
import { ThemeToggle } from './theme.tsx';

export function App() {
  const { key, notice, signIn, signOut } = useStoredKey();
  if (!key) return <SignIn notice={notice} onSignedIn={signIn} />;
  return (
    <SessionProvider apiKey={key} signOut={signOut}>
      <Shell />
    </SessionProvider>
  );
}

function SignIn(props: { notice: string | null; onSignedIn(key: string): void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(props.notice);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · Herald';
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Enter an API key.');
    setBusy(true);
    const r = await verifyKey(k);
    setBusy(false);
    if (r.ok) props.onSignedIn(k);
    else setError(r.message);
  };
  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={(e) => void submit(e)} aria-describedby="signin-help">
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true">
            H
          </span>
          Herald
        </div>
        <h1>Sign in</h1>
        <p id="signin-help" className="muted">
          Use a Herald API key. It is kept in this tab only, and forgotten when you sign out or close the tab.
        </p>
        <div className={`field${error ? ' has-error' : ''}`}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="api-key"
            type="password"
            autoComplete="current-password"
            autoFocus
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={!!error}
            aria-describedby={error ? 'signin-error' : undefined}
          />
          {error && (
            <div className="field-error" id="signin-error" role="alert">
              {error}
            </div>
          )}
        </div>
        <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

const NAV = [
  { to: '/', label: 'Dashboard', icon: 'dashboard' },
  { to: '/messages', label: 'Messages', icon: 'messages' },
  { to: '/campaigns', label: 'Campaigns', icon: 'campaigns' },
  { to: '/templates', label: 'Templates', icon: 'templates' },
  { to: '/contacts', label: 'Contacts', icon: 'contacts' },
  { to: '/providers', label: 'Providers', icon: 'providers' },
  { to: '/outbox', label: 'Outbox', icon: 'outbox' },
  { to: '/endpoints', label: 'Endpoints', icon: 'endpoints' },
  { to: '/keys', label: 'API keys', icon: 'keys' },
  { to: '/audit', label: 'Audit log', icon: 'audit' },
];

function Shell() {
  const { signOut } = useSession();
  const loc = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const firstPath = useRef(loc.path);
  useEffect(() => {
    setMenuOpen(false);
    // After navigating (not on first load), move focus to the new page's heading so keyboard and
    // screen reader users land on it; on first load the skip link stays the first stop.
    if (firstPath.current === loc.path) return;
    firstPath.current = '';
    const t = setTimeout(() => document.getElementById('page-title')?.focus({ preventScroll: true }), 0);
    return () => clearTimeout(t);
  }, [loc.path]);
  const active = (to: string) => (to === '/' ? loc.path === '/' : loc.path === to || loc.path.startsWith(`${to}/`));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="logo" aria-hidden="true">
            H
          </span>
          Herald
        </Link>
        <button
          type="button"
          className="btn btn-ghost menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <nav id="main-nav" className={`nav${menuOpen ? ' open' : ''}`} aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={active(n.to) ? 'page' : undefined}>
                  <Icon name={n.icon} />
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
          <div className="nav-foot">
            <a href="/docs" target="_blank" rel="noreferrer">
              API docs
            </a>
            <ThemeToggle />
            <button type="button" className="btn btn-ghost" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </nav>
      </header>
      <main id="main" className="content">
        <Page path={loc.path} query={loc.query} />
      </main>
    </div>
  );
}

function Page(props: { path: string; query: URLSearchParams }) {
  const p = props.path.replace(/\/+$/, '') || '/';
  let m: Record<string, string> | null;
  if (p === '/') return <Dashboard />;
  if (p === '/messages') return <Messages query={props.query} />;
  if ((m = match('/messages/:id', p))) return <MessagePage id={m.id!} />;
  if (p === '/campaigns') return <Campaigns />;
  if (p === '/campaigns/new') return <CampaignForm />;
  if ((m = match('/campaigns/:id/edit', p))) return <CampaignForm id={m.id!} />;
  if ((m = match('/campaigns/:id', p))) return <CampaignPage id={m.id!} />;
  if (p === '/templates') return <Templates />;
  if ((m = match('/templates/:id', p))) return <TemplatePage id={m.id!} />;
  if (p === '/contacts') return <Contacts query={props.query} />;
  if ((m = match('/contacts/:id', p))) return <ContactPage id={m.id!} />;
  if (p === '/providers') return <Providers />;
  if (p === '/outbox') return <Outbox query={props.query} />;
  if ((m = match('/outbox/:id', p))) return <OutboxItem id={m.id!} />;
  if (p === '/endpoints') return <Endpoints />;
  if ((m = match('/endpoints/:id', p))) return <EndpointPage id={m.id!} />;
  if (p === '/keys') return <Keys />;
  if (p === '/audit') return <Audit query={props.query} />;
  return (
    <div className="state-box empty">
      <h1 id="page-title" tabIndex={-1}>
        Page not found
      </h1>
      <Link to="/">Back to the dashboard</Link>
    </div>
  );
}
