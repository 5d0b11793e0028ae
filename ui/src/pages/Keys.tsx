import { useState, type FormEvent } from 'react';
import { ApiError } from '../api.ts';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { Badge, Empty, ErrorBox, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime } from '../format.ts';

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  status: 'active' | 'expired' | 'revoked';
  environment: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

/** The scopes a key can have (src/auth/scopes.ts), with what each opens. */
const SCOPES: [string, string][] = [
  ['messages:write', 'send messages and postbacks, cancel, retry'],
  ['messages:read', 'read messages, statistics, outbox'],
  ['campaigns', 'campaigns'],
  ['contacts', 'contacts, preferences, suppressions'],
  ['providers', 'provider health; generic receipts'],
  ['metrics', 'GET /metrics (Prometheus)'],
  ['compat', 'the replaced systems’ APIs'],
  ['admin', 'everything, including keys and the audit log'],
];

const TONE = { active: 'ok', expired: 'warn', revoked: 'muted' } as const;

export function Keys() {
  const api = useApi();
  const [showRevoked, setShowRevoked] = useState(false);
  const keys = useLoad(
    () => api.get<{ items: ApiKeyView[] }>('/v1/keys', { includeRevoked: showRevoked, limit: 500 }),
    [showRevoked],
  );
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; value: string }>();
  const [notice, setNotice] = useState<string>();
  const [actionError, setActionError] = useState<unknown>();

  const revoke = async (k: ApiKeyView) => {
    const warn = k.environment
      ? ' It is the HERALD_API_KEY key: it stays revoked until that variable holds another key.'
      : '';
    if (!window.confirm(`Revoke the key "${k.name}" (${k.prefix}…)? Clients using it are refused from now on.${warn}`))
      return;
    setActionError(undefined);
    try {
      await api.del(`/v1/keys/${k.id}`);
      setNotice(`Revoked "${k.name}".`);
      keys.reload();
    } catch (e) {
      setActionError(e);
    }
  };

  return (
    <>
      <PageHeader
        title="API keys"
        subtitle="Who may call Herald, with what scopes. Secrets are shown once, when a key is made."
        actions={
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setCreating((v) => !v)}
            aria-expanded={creating}
          >
            New key
          </button>
        }
      />
      {secret && (
        <div className="alert alert-ok" role="status" data-testid="new-secret">
          <div>
            <strong>Key “{secret.name}” created.</strong> Copy its secret now: Herald keeps only a hash and cannot show
            it again.
            <pre className="mono secret">{secret.value}</pre>
          </div>
          <button type="button" className="btn btn-small" onClick={() => setSecret(undefined)}>
            I have copied it
          </button>
        </div>
      )}
      {notice && (
        <div className="alert alert-ok" role="status">
          {notice}
        </div>
      )}
      {actionError !== undefined && <ErrorBox error={actionError} />}
      {creating && (
        <KeyForm
          onCancel={() => setCreating(false)}
          onCreated={(name, value) => {
            setCreating(false);
            setNotice(undefined);
            setSecret({ name, value });
            keys.reload();
          }}
        />
      )}
      <div className="card toolbar">
        <label className="inline">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} /> Show
          revoked keys
        </label>
      </div>
      <LoadProblem error={keys.error} what="The keys API" route="GET /v1/keys" onRetry={keys.reload} />
      <section className="card" aria-label="API keys">
        {!keys.data && keys.loading ? (
          <Loading />
        ) : keys.data && keys.data.items.length === 0 ? (
          <Empty title="No keys." />
        ) : keys.data ? (
          <div className="table-wrap">
            <table data-testid="keys">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Prefix</th>
                  <th scope="col">Scopes</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((k) => (
                  <tr key={k.id}>
                    <td>
                      {k.name}
                      {k.environment && (
                        <>
                          {' '}
                          <Badge
                            value="environment"
                            tone="info"
                            title="From HERALD_API_KEY: revoked when that variable changes"
                          />
                        </>
                      )}
                    </td>
                    <td className="mono">{k.prefix}…</td>
                    <td>{k.scopes.join(', ')}</td>
                    <td>
                      <Badge value={k.status} tone={TONE[k.status]} />
                    </td>
                    <td title={fmtDateTime(k.createdAt)}>{fmtAgo(k.createdAt)}</td>
                    <td title={fmtDateTime(k.lastUsedAt)}>{k.lastUsedAt ? fmtAgo(k.lastUsedAt) : 'never'}</td>
                    <td>{k.expiresAt ? fmtDateTime(k.expiresAt) : 'never'}</td>
                    <td className="num">
                      {k.status !== 'revoked' && (
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          onClick={() => void revoke(k)}
                          aria-label={`Revoke ${k.name}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function KeyForm(props: { onCancel(): void; onCreated(name: string, secret: string): void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errs: Record<string, string> = {};
  if (error instanceof ApiError && Array.isArray(error.details))
    for (const x of error.details as { path?: string; message?: string }[])
      errs[(x.path ?? '').replace(/^\//, '').split('/')[0] ?? ''] = x.message ?? 'is invalid';
  const toggle = (s: string) => setScopes((xs) => (xs.includes(s) ? xs.filter((x) => x !== s) : [...xs, s]));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = { name, scopes, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
      const r = await api.post<{ key: ApiKeyView; secret: string }>('/v1/keys', body);
      props.onCreated(r.key.name, r.secret);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="key-form-title" noValidate>
      <h2 id="key-form-title">New API key</h2>
      {error !== undefined && <ErrorBox error={error} />}
      <div className="form-grid">
        <Field label="Name" id="key-name" hint="Who or what uses it, e.g. “shop backend”" error={errs.name}>
          <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Expires" id="key-expires" hint="Empty: never" error={errs.expiresAt}>
          <input id="key-expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </Field>
      </div>
      <fieldset className={`field${errs.scopes ? ' has-error' : ''}`}>
        <legend>Scopes</legend>
        {SCOPES.map(([s, what]) => (
          <label key={s} className="inline check">
            <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} /> <code>{s}</code>{' '}
            <span className="muted">{what}</span>
          </label>
        ))}
        {errs.scopes && (
          <div className="field-error" role="alert">
            Choose at least one scope.
          </div>
        )}
      </fieldset>
      <div className="toolbar">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
