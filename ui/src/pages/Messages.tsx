import { useState, type FormEvent } from 'react';
import { useApi } from '../session.tsx';
import { BulkActions } from '../components/BulkActions.tsx';
import { useLoad } from '../hooks.ts';
import { CHANNELS, MESSAGE_STATES, type Message, type Page } from '../types.ts';
import { Badge, Empty, ErrorBox, Field, Loading, PageHeader } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime, fromLocalInput, toLocalInput } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';

const FILTERS = ['state', 'channel', 'provider', 'recipient', 'campaignId', 'since', 'until'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;
const PAGE_SIZE = 50;

function fromQuery(q: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTERS) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

export function Messages(props: { query: URLSearchParams }) {
  const api = useApi();
  const filters = fromQuery(props.query);
  const key = JSON.stringify(filters);
  const pages = useCursorPages(key);
  const cursor = pages.cursor;
  const page = useLoad(
    () => api.get<Page<Message>>('/v1/messages', { ...filters, limit: PAGE_SIZE, cursor }),
    [key, cursor],
  );
  const [draft, setDraft] = useState<Filters>(filters);
  const [draftKey, setDraftKey] = useState(key);
  if (draftKey !== key) {
    setDraft(filters);
    setDraftKey(key);
  }

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const k of FILTERS) {
      const v = draft[k]?.trim();
      if (v) q.set(k, v);
    }
    const s = q.toString();
    navigate(`/messages${s ? `?${s}` : ''}`);
  };
  const set = (k: keyof Filters, v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const active = Object.keys(filters).length;

  return (
    <>
      <PageHeader
        title="Messages"
        subtitle="Newest first. Filter, then open a message for its content, events and attempts."
        actions={<OpenById />}
      />
      <form className="card filters" onSubmit={apply} aria-label="Filter messages">
        <Field label="State" id="f-state">
          <select id="f-state" value={draft.state ?? ''} onChange={(e) => set('state', e.target.value)}>
            <option value="">Any</option>
            {MESSAGE_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Channel" id="f-channel">
          <select id="f-channel" value={draft.channel ?? ''} onChange={(e) => set('channel', e.target.value)}>
            <option value="">Any</option>
            {CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </Field>
        <Field label="Provider" id="f-provider">
          <input id="f-provider" value={draft.provider ?? ''} onChange={(e) => set('provider', e.target.value)} />
        </Field>
        <Field label="Recipient" id="f-recipient">
          <input
            id="f-recipient"
            value={draft.recipient ?? ''}
            placeholder="exact address or number"
            onChange={(e) => set('recipient', e.target.value)}
          />
        </Field>
        <Field label="Campaign id" id="f-campaign">
          <input id="f-campaign" value={draft.campaignId ?? ''} onChange={(e) => set('campaignId', e.target.value)} />
        </Field>
        <Field label="Created from" id="f-since">
          <input
            id="f-since"
            type="datetime-local"
            value={toLocalInput(draft.since)}
            onChange={(e) => set('since', fromLocalInput(e.target.value) ?? '')}
          />
        </Field>
        <Field label="Created before" id="f-until">
          <input
            id="f-until"
            type="datetime-local"
            value={toLocalInput(draft.until)}
            onChange={(e) => set('until', fromLocalInput(e.target.value) ?? '')}
          />
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          {active > 0 && (
            <button type="button" className="btn btn-ghost" onClick={() => navigate('/messages')}>
              Clear ({active})
            </button>
          )}
        </div>
      </form>

      <BulkActions filters={filters} onDone={page.reload} />
      {page.error && <ErrorBox error={page.error} onRetry={page.reload} />}
      <section className="card" aria-label="Messages" aria-busy={page.loading}>
        {!page.data && page.loading ? (
          <Loading label="Loading messages…" />
        ) : page.data && page.data.items.length === 0 ? (
          <Empty title={active ? 'No message matches these filters.' : 'No messages yet.'}>
            {active ? 'Try a wider time range or fewer filters.' : 'Send one with POST /v1/messages (see API docs).'}
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="rows-link">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Recipient</th>
                  <th scope="col">Subject / text</th>
                  <th scope="col">Provider</th>
                  <th scope="col">State</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.data?.items.map((m) => (
                  <tr key={m.id}>
                    <td title={fmtDateTime(m.createdAt)}>
                      <Link to={`/messages/${m.id}`} className="row-link">
                        {fmtAgo(m.createdAt)}
                      </Link>
                    </td>
                    <td>{m.channel}</td>
                    <td className="mono ellipsis">{m.to}</td>
                    <td className="ellipsis">
                      {m.subject ?? m.text ?? (m.webhook ? `${m.webhook.method} ${m.webhook.url}` : '')}
                    </td>
                    <td>{m.provider ?? m.lane}</td>
                    <td>
                      <Badge value={m.state} title={m.reason ?? undefined} />
                    </td>
                    <td className="num">
                      {m.attemptCount}/{m.maxAttempts}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager pages={pages} nextCursor={page.data?.nextCursor} />
      </section>
    </>
  );
}

/** Jump straight to a message by its id (as found in logs or API answers). */
function OpenById() {
  const [id, setId] = useState('');
  const valid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id.trim());
  return (
    <form
      className="toolbar"
      role="search"
      aria-label="Open a message by id"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) navigate(`/messages/${id.trim().toLowerCase()}`);
      }}
    >
      <label htmlFor="open-id" className="sr-only">
        Message id
      </label>
      <input
        id="open-id"
        className="mono"
        style={{ width: '21rem', maxWidth: '100%' }}
        placeholder="Message id (UUID)"
        value={id}
        onChange={(e) => setId(e.target.value)}
      />
      <button type="submit" className="btn" disabled={!valid}>
        Open
      </button>
    </form>
  );
}
