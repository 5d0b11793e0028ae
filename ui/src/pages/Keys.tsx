import { useState } from 'react';
import { useApi } from '../session.tsx';
import { useActions, useLoad, useSubmit } from '../hooks.ts';
import { Badge, Empty, ErrorBox, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { CheckList, FormButtons, Notice, SecretOnce } from '../components/forms.tsx';
import { detailErrors } from './form-errors.ts';
import { fmtAgo, fmtDateTime } from '../format.ts';
import { SCOPES, type Scope } from '../../../src/auth/scope-list.ts';

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

/** What each scope opens (docs/api.md); the scopes themselves are the server's list, so none is missing. */
const OPENS: Record<Scope, string> = {
  'messages:write': 'send messages and postbacks, cancel, retry',
  'messages:read': 'read messages, statistics, outbox',
  campaigns: 'campaigns',
  contacts: 'contacts, preferences, suppressions',
  endpoints: 'event endpoints, their deliveries and replay',
  providers: 'provider health; generic receipts',
  metrics: 'GET /metrics (Prometheus)',
  compat: 'the replaced systems’ APIs',
  admin: 'everything, including keys and the audit log',
};
const SCOPE_OPTIONS = SCOPES.map((value) => ({ value, note: OPENS[value] }));

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
  const actions = useActions(keys.reload);

  const revoke = (k: ApiKeyView) => {
    const warn = k.environment
      ? ' It is the HERALD_API_KEY key: it stays revoked until that variable holds another key.'
      : '';
    return actions.run(
      () => api.del(`/v1/keys/${k.id}`),
      `Revoked "${k.name}".`,
      `Revoke the key "${k.name}" (${k.prefix}…)? Clients using it are refused from now on.${warn}`,
    );
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
        <SecretOnce
          testId="new-secret"
          title={`Key “${secret.name}” created.`}
          note="Copy its secret now: Herald keeps only a hash and cannot show it again."
          secret={secret.value}
          onDone={() => setSecret(undefined)}
        />
      )}
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      {creating && (
        <KeyForm
          onCancel={() => setCreating(false)}
          onCreated={(name, value) => {
            setCreating(false);
            actions.setNotice(undefined);
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
  const { submit, busy, error } = useSubmit(async () => {
    const body = { name, scopes, ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
    const r = await api.post<{ key: ApiKeyView; secret: string }>('/v1/keys', body);
    props.onCreated(r.key.name, r.secret);
  });
  const errs = detailErrors(error);
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
      <CheckList
        legend="Scopes"
        options={SCOPE_OPTIONS}
        chosen={scopes}
        onChange={setScopes}
        error={errs.scopes && 'Choose at least one scope.'}
      />
      <FormButtons busy={busy} label="Create key" busyLabel="Creating…" onCancel={props.onCancel} />
    </form>
  );
}
