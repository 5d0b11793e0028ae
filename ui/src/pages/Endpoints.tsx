import { useState } from 'react';
import { useApi } from '../session.tsx';
import { useActions, useLoad, useSubmit } from '../hooks.ts';
import { Link, navigate } from '../router.tsx';
import { Badge, Empty, ErrorBox, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { CheckList, FormButtons, Notice, SecretOnce } from '../components/forms.tsx';
import { detailErrors } from './form-errors.ts';
import { fmtAgo, fmtDateTime, fromLocalInput } from '../format.ts';
import { EVENT_TYPES } from '../../../src/events/event-types.ts';
import { CHANNELS } from '../types.ts';

/** Status events to subscribed endpoints (docs/events.md): list, create, rotate, test, deliveries, replay. */

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  filter: { channel?: string; provider?: string; campaignId?: string; metadata?: Record<string, string> } | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  previousSecretValidUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

interface DeliveryView {
  id: string;
  eventId: string;
  type: string;
  messageId: string | null;
  state: 'queued' | 'sending' | 'delivered' | 'failed';
  reason: string | null;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  statusCode: number | null;
  replayOf: string | null;
  createdAt: string;
  attemptLog: {
    number: number;
    startedAt: string;
    durationMs: number;
    outcome: string;
    statusCode: number | null;
    response: string | null;
    error: string | null;
  }[];
}

/** Positioned, so the visually hidden header text (position: absolute) scrolls with the table at 390 px. */
const WRAP = { position: 'relative' } as const;

/** Every subscribable type, from the server's own list (src/events/event-types.ts). */
const EVENT_OPTIONS = EVENT_TYPES.map((value) => ({ value }));

function EndpointSecret(props: { title: string; secret: string; onDone(): void }) {
  return (
    <SecretOnce
      testId="endpoint-secret"
      title={props.title}
      note="Copy the signing secret now: it is not shown again."
      secret={props.secret}
      onDone={props.onDone}
    />
  );
}

function DisabledBanner(props: { e: EndpointView }) {
  if (props.e.enabled) return null;
  return (
    <div className="alert alert-error" role="alert" data-testid="endpoint-disabled">
      <div>
        <strong>{props.e.url} is disabled.</strong> {props.e.disabledReason ?? ''}
        {props.e.disabledAt && <> ({fmtDateTime(props.e.disabledAt)})</>}. Its events wait until it is enabled again.
      </div>
    </div>
  );
}

export function Endpoints() {
  const api = useApi();
  const list = useLoad(() => api.get<{ items: EndpointView[] }>('/v1/endpoints'), []);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ title: string; value: string }>();
  const actions = useActions(list.reload);
  return (
    <>
      <PageHeader
        title="Endpoints"
        subtitle="Where Herald sends signed status events (message delivered, failed, …) as they happen."
        actions={
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => setCreating((v) => !v)}
            aria-expanded={creating}
          >
            New endpoint
          </button>
        }
      />
      {secret && <EndpointSecret title={secret.title} secret={secret.value} onDone={() => setSecret(undefined)} />}
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      {list.data?.items
        .filter((e) => !e.enabled)
        .map((e) => (
          <DisabledBanner key={e.id} e={e} />
        ))}
      {creating && (
        <EndpointForm
          onCancel={() => setCreating(false)}
          onCreated={(e, s) => {
            setCreating(false);
            actions.setNotice(undefined);
            setSecret({ title: `Endpoint ${e.url} created.`, value: s });
            list.reload();
          }}
        />
      )}
      <LoadProblem error={list.error} what="The endpoints API" route="GET /v1/endpoints" onRetry={list.reload} />
      <section className="card" aria-label="Endpoints">
        {!list.data && list.loading ? (
          <Loading />
        ) : list.data && list.data.items.length === 0 ? (
          <Empty title="No endpoints yet.">Add one to receive events instead of polling.</Empty>
        ) : list.data ? (
          <div className="table-wrap" style={WRAP}>
            <table data-testid="endpoints">
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">Status</th>
                  <th scope="col">Failing since</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Link to={`/endpoints/${e.id}`} className="mono">
                        {e.url}
                      </Link>
                      {e.description && <div className="muted">{e.description}</div>}
                    </td>
                    <td title={e.events.join(', ')}>
                      {e.events.length === 1 ? e.events[0] : `${e.events.length} types`}
                    </td>
                    <td>
                      <Badge value={e.enabled ? 'enabled' : 'disabled'} tone={e.enabled ? 'ok' : 'bad'} />
                    </td>
                    <td>{e.failingSince ? fmtAgo(e.failingSince) : '—'}</td>
                    <td className="num nowrap">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Send a test event to ${e.url}`}
                        onClick={() =>
                          void actions.run(
                            () => api.post(`/v1/endpoints/${e.id}/test`),
                            `Test event queued for ${e.url}.`,
                          )
                        }
                      >
                        Test
                      </button>{' '}
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`${e.enabled ? 'Disable' : 'Enable'} ${e.url}`}
                        onClick={() =>
                          void actions.run(
                            () => api.patch(`/v1/endpoints/${e.id}`, { enabled: !e.enabled }),
                            `${e.url} ${e.enabled ? 'disabled' : 'enabled'}.`,
                          )
                        }
                      >
                        {e.enabled ? 'Disable' : 'Enable'}
                      </button>
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

function EndpointForm(props: { onCancel(): void; onCreated(e: EndpointView, secret: string): void }) {
  const api = useApi();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(['message.delivered', 'message.failed', 'message.bounced']);
  const [channel, setChannel] = useState('');
  const { submit, busy, error } = useSubmit(async () => {
    const body = {
      url,
      events,
      ...(description ? { description } : {}),
      ...(channel ? { filter: { channel } } : {}),
    };
    const r = await api.post<{ endpoint: EndpointView; secret: string }>('/v1/endpoints', body);
    props.onCreated(r.endpoint, r.secret);
  });
  const errs = detailErrors(error);
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="endpoint-form-title" noValidate>
      <h2 id="endpoint-form-title">New endpoint</h2>
      {error !== undefined && <ErrorBox error={error} />}
      <div className="form-grid">
        <Field label="URL" id="endpoint-url" hint="https://… that answers 2xx" error={errs.url}>
          <input id="endpoint-url" value={url} onChange={(e) => setUrl(e.target.value)} />
        </Field>
        <Field label="Description" id="endpoint-description" hint="Optional" error={errs.description}>
          <input id="endpoint-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <Field label="Only channel" id="endpoint-channel" hint="Empty: every channel">
          <select id="endpoint-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
            <option value="">every channel</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <CheckList
        legend="Events"
        options={EVENT_OPTIONS}
        chosen={events}
        onChange={setEvents}
        error={errs.events && 'Choose at least one event type.'}
      />
      <FormButtons busy={busy} label="Create endpoint" busyLabel="Creating…" onCancel={props.onCancel} />
    </form>
  );
}

export function EndpointPage(props: { id: string }) {
  const api = useApi();
  const ep = useLoad(() => api.get<EndpointView>(`/v1/endpoints/${props.id}`), [props.id]);
  const [state, setState] = useState('');
  const deliveries = useLoad(
    () =>
      api.get<{ items: DeliveryView[]; nextCursor: string | null }>(`/v1/endpoints/${props.id}/deliveries`, {
        limit: 50,
        ...(state ? { state } : {}),
      }),
    [props.id, state],
    3000,
  );
  const [secret, setSecret] = useState<string>();
  const [since, setSince] = useState('');
  const actions = useActions(() => {
    ep.reload();
    deliveries.reload();
  });
  const e = ep.data;
  return (
    <>
      <PageHeader
        title={e ? e.url : 'Endpoint'}
        subtitle={<Link to="/endpoints">All endpoints</Link>}
        actions={
          e && (
            <>
              <button
                type="button"
                className="btn"
                onClick={() => void actions.run(() => api.post(`/v1/endpoints/${e.id}/test`), 'Test event queued.')}
              >
                Send test
              </button>
              <button
                type="button"
                className="btn"
                onClick={() =>
                  void actions.run(
                    async () => {
                      const r = await api.post<{ secret: string }>(`/v1/endpoints/${e.id}/rotate-secret`);
                      setSecret(r.secret);
                    },
                    'Secret rotated: the old one signs too until tomorrow.',
                    'Rotate the signing secret? The old one keeps signing beside the new one for 24 hours.',
                  )
                }
              >
                Rotate secret
              </button>
              <button
                type="button"
                className="btn"
                onClick={() =>
                  void actions.run(
                    () => api.patch(`/v1/endpoints/${e.id}`, { enabled: !e.enabled }),
                    e.enabled ? 'Disabled.' : 'Enabled.',
                  )
                }
              >
                {e.enabled ? 'Disable' : 'Enable'}
              </button>
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => {
                  if (!window.confirm(`Delete ${e.url} and its deliveries?`)) return;
                  void api.del(`/v1/endpoints/${e.id}`).then(() => navigate('/endpoints'), actions.setError);
                }}
              >
                Delete
              </button>
            </>
          )
        }
      />
      {secret && <EndpointSecret title="New secret." secret={secret} onDone={() => setSecret(undefined)} />}
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      <LoadProblem error={ep.error} what="The endpoint" route={`GET /v1/endpoints/${props.id}`} onRetry={ep.reload} />
      {e && <DisabledBanner e={e} />}
      {e && (
        <section className="card" aria-label="Endpoint">
          <dl className="kv">
            <dt>Events</dt>
            <dd>{e.events.join(', ')}</dd>
            <dt>Filter</dt>
            <dd>{e.filter ? JSON.stringify(e.filter) : 'none'}</dd>
            <dt>Status</dt>
            <dd>
              <Badge value={e.enabled ? 'enabled' : 'disabled'} tone={e.enabled ? 'ok' : 'bad'} />
              {e.failingSince && <> failing since {fmtDateTime(e.failingSince)}</>}
            </dd>
            <dt>Secret</dt>
            <dd>
              {e.previousSecretValidUntil
                ? `rotated; the previous secret signs too until ${fmtDateTime(e.previousSecretValidUntil)}`
                : 'one secret'}
            </dd>
            <dt>Created</dt>
            <dd>{fmtDateTime(e.createdAt)}</dd>
          </dl>
        </section>
      )}
      <div className="card toolbar">
        <Field label="State" id="delivery-state">
          <select id="delivery-state" value={state} onChange={(x) => setState(x.target.value)}>
            <option value="">all</option>
            <option value="queued">queued</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
          </select>
        </Field>
        <Field label="Replay failed since" id="replay-since">
          <input id="replay-since" type="datetime-local" value={since} onChange={(x) => setSince(x.target.value)} />
        </Field>
        <button
          type="button"
          className="btn"
          disabled={!since}
          onClick={() =>
            void actions.run(
              () =>
                api.post<{ count: number }>(`/v1/endpoints/${props.id}/replay`, {
                  since: fromLocalInput(since),
                }),
              (r) => `${r.count} failed event${r.count === 1 ? '' : 's'} queued again.`,
            )
          }
        >
          Replay failed
        </button>
      </div>
      <LoadProblem
        error={deliveries.error}
        what="The deliveries"
        route={`GET /v1/endpoints/${props.id}/deliveries`}
        onRetry={deliveries.reload}
      />
      <section className="card" aria-label="Deliveries">
        <h2>Deliveries</h2>
        {!deliveries.data && deliveries.loading ? (
          <Loading />
        ) : deliveries.data && deliveries.data.items.length === 0 ? (
          <Empty title="No deliveries yet." />
        ) : deliveries.data ? (
          <div className="table-wrap" style={WRAP}>
            <table data-testid="deliveries">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Event</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.items.map((d) => (
                  <tr key={d.id}>
                    <td title={fmtDateTime(d.createdAt)}>{fmtAgo(d.createdAt)}</td>
                    <td>
                      <code>{d.type}</code>
                      <div className="muted mono">{d.eventId}</div>
                      {d.messageId && <Link to={`/messages/${d.messageId}`}>message</Link>}
                      {d.replayOf && <span className="muted"> (replay)</span>}
                    </td>
                    <td>
                      <Badge value={d.state} />
                      {d.reason && <div className="muted">{d.reason}</div>}
                      {d.nextAttemptAt && d.state === 'queued' && (
                        <div className="muted">next {fmtDateTime(d.nextAttemptAt)}</div>
                      )}
                    </td>
                    <td>
                      {d.attemptLog.length === 0 ? (
                        '—'
                      ) : (
                        <details>
                          <summary>
                            {d.attempts} of {d.maxAttempts}
                            {d.statusCode !== null && <> · HTTP {d.statusCode}</>}
                          </summary>
                          <ol className="attempts">
                            {d.attemptLog.map((a) => (
                              <li key={a.number}>
                                {fmtDateTime(a.startedAt)} · {a.durationMs} ms · {a.outcome}
                                {a.statusCode !== null && <> · {a.statusCode}</>}
                                {a.error && <div className="muted">{a.error}</div>}
                                {a.response && <pre className="mono">{a.response}</pre>}
                              </li>
                            ))}
                          </ol>
                        </details>
                      )}
                    </td>
                    <td className="num">
                      <button
                        type="button"
                        className="btn btn-small"
                        aria-label={`Replay ${d.type} ${d.eventId}`}
                        onClick={() =>
                          void actions.run(
                            () => api.post(`/v1/endpoints/${props.id}/replay`, { eventId: d.eventId }),
                            `Event ${d.eventId} queued again.`,
                          )
                        }
                      >
                        Replay
                      </button>
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
