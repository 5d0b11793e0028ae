import { useState } from 'react';
import { useApi } from '../session.tsx';
import { BulkActions } from '../components/BulkActions.tsx';
import { useLoad } from '../hooks.ts';
import { CHANNELS, MESSAGE_STATES, type Message, type Page } from '../types.ts';
import { Badge, Empty, ErrorBox, Field, Loading, PageHeader } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime, fromLocalInput, toLocalInput } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { FilterPanel, useUrlFilters, type Filters } from '../filters.tsx';
import { useProviderNames } from '../providers.ts';
import { Pager, useCursorPages } from '../components/pager.tsx';

const FILTERS = [
  'state',
  'channel',
  'provider',
  'recipient',
  'recipientPrefix',
  'recipientContains',
  'providerMessageId',
  'campaignId',
  'since',
  'until',
] as const;
const PAGE_SIZE = 50;

/** How the recipient box searches: each mode is its own API filter. */
const RECIPIENT_MODES = [
  { key: 'recipientPrefix', label: 'starts with' },
  { key: 'recipientContains', label: 'contains' },
  { key: 'recipient', label: 'is exactly' },
] as const;
type RecipientKey = (typeof RECIPIENT_MODES)[number]['key'];
const MIN_CONTAINS = 3;

/** A substring shorter than the API takes waits (with a hint) instead of asking for a 400. */
function ready(f: Filters): Filters {
  const v = f.recipientContains?.trim();
  if (v !== undefined && v.length < MIN_CONTAINS) return { ...f, recipientContains: '' };
  return f;
}

export function Messages(props: { query: URLSearchParams }) {
  const api = useApi();
  const f = useUrlFilters('/messages', FILTERS, props.query, { ready });
  const filters = f.applied;
  const key = f.key;
  const pages = useCursorPages(key);
  const cursor = pages.cursor;
  const page = useLoad(
    () => api.get<Page<Message>>('/v1/messages', { ...filters, limit: PAGE_SIZE, cursor }),
    [key, cursor],
  );
  const { names: providers } = useProviderNames();
  const draft = f.draft;
  const modeInDraft = RECIPIENT_MODES.find((m) => draft[m.key])?.key;
  const [mode, setMode] = useState<RecipientKey>(modeInDraft ?? 'recipientPrefix');
  const recipientMode = modeInDraft ?? mode;
  const recipientText = draft[recipientMode] ?? '';
  const setRecipient = (m: RecipientKey, text: string) => {
    setMode(m);
    f.update({ recipient: '', recipientPrefix: '', recipientContains: '', [m]: text });
  };
  const tooShort =
    recipientMode === 'recipientContains' &&
    recipientText.trim().length > 0 &&
    recipientText.trim().length < MIN_CONTAINS;
  const active = f.count;

  return (
    <>
      <PageHeader
        title="Messages"
        subtitle="Newest first. Filters apply as you change them; open a message for its content, events and attempts."
        actions={<OpenById />}
      />
      <FilterPanel label="Filter messages" active={active} id="message-filters">
        <Field label="State" id="f-state">
          <select id="f-state" value={draft.state ?? ''} onChange={(e) => f.set('state', e.target.value)}>
            <option value="">Any</option>
            {MESSAGE_STATES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Channel" id="f-channel">
          <select id="f-channel" value={draft.channel ?? ''} onChange={(e) => f.set('channel', e.target.value)}>
            <option value="">Any</option>
            {CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </Field>
        <Field label="Provider" id="f-provider">
          {providers ? (
            <select id="f-provider" value={draft.provider ?? ''} onChange={(e) => f.set('provider', e.target.value)}>
              <option value="">Any</option>
              {providers.map((p) => (
                <option key={p}>{p}</option>
              ))}
              {draft.provider && !providers.includes(draft.provider) && <option>{draft.provider}</option>}
            </select>
          ) : (
            <input id="f-provider" value={draft.provider ?? ''} onChange={(e) => f.set('provider', e.target.value)} />
          )}
        </Field>
        <div className="field field-wide">
          <label htmlFor="f-recipient">Recipient</label>
          <div className="input-group">
            <select
              aria-label="Match recipient"
              id="f-recipient-mode"
              value={recipientMode}
              onChange={(e) => setRecipient(e.target.value as RecipientKey, recipientText)}
            >
              {RECIPIENT_MODES.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.label}
                </option>
              ))}
            </select>
            <input
              id="f-recipient"
              type="search"
              value={recipientText}
              placeholder="address or number"
              aria-describedby="f-recipient-hint"
              onChange={(e) => setRecipient(recipientMode, e.target.value)}
            />
          </div>
          <div className="hint" id="f-recipient-hint">
            {tooShort ? `Type at least ${MIN_CONTAINS} characters to search inside addresses.` : 'Ignores case.'}
          </div>
        </div>
        <Field label="Provider message id" id="f-pmid">
          <input
            id="f-pmid"
            className="mono"
            value={draft.providerMessageId ?? ''}
            onChange={(e) => f.set('providerMessageId', e.target.value)}
          />
        </Field>
        <Field label="Campaign id" id="f-campaign">
          <input id="f-campaign" value={draft.campaignId ?? ''} onChange={(e) => f.set('campaignId', e.target.value)} />
        </Field>
        <Field label="Created from" id="f-since">
          <input
            id="f-since"
            type="datetime-local"
            value={toLocalInput(draft.since)}
            onChange={(e) => f.set('since', fromLocalInput(e.target.value) ?? '')}
          />
        </Field>
        <Field label="Created before" id="f-until">
          <input
            id="f-until"
            type="datetime-local"
            value={toLocalInput(draft.until)}
            onChange={(e) => f.set('until', fromLocalInput(e.target.value) ?? '')}
          />
        </Field>
        <div className="filter-actions">
          <span className="muted small" aria-live="polite">
            {f.pending ? 'Applying…' : ''}
          </span>
          {active > 0 && (
            <button type="button" className="btn btn-ghost" onClick={f.clear}>
              Clear ({active})
            </button>
          )}
        </div>
      </FilterPanel>

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
                    <td className="nowrap" title={m.provider ? undefined : `Not carried yet (route ${m.lane})`}>
                      {m.provider ?? '—'}
                    </td>
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
