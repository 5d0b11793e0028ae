import { useState, type FormEvent } from 'react';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { Badge, Empty, LoadProblem, Loading, PageHeader, Updated } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';

export interface OutboxItemView {
  id: string;
  channel: string;
  provider: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  preview: string;
  hasHtml: boolean;
  createdAt: string;
}

export function Outbox(props: { query: URLSearchParams }) {
  const api = useApi();
  const channel = props.query.get('channel') ?? '';
  const recipient = props.query.get('recipient') ?? '';
  const key = `${channel}|${recipient}`;
  const pages = useCursorPages(key);
  const cursor = pages.cursor;
  const page = useLoad(
    () =>
      api.get<{ items: OutboxItemView[]; nextCursor: string | null }>('/v1/outbox', {
        channel,
        recipient,
        cursor,
        limit: 50,
      }),
    [key, cursor],
    pages.page === 1 ? 5000 : undefined,
  );
  const [draft, setDraft] = useState(recipient);
  const go = (c: string, r: string) => {
    const q = new URLSearchParams();
    if (c) q.set('channel', c);
    if (r) q.set('recipient', r);
    const s = q.toString();
    navigate(`/outbox${s ? `?${s}` : ''}`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    go(channel, draft.trim());
  };

  return (
    <>
      <PageHeader
        title="Outbox"
        subtitle="What the outbox provider caught: a mail catcher for development and staging. Nothing here left Herald."
        actions={<Updated at={page.updatedAt} />}
      />
      <form className="card toolbar" onSubmit={submit} aria-label="Filter the outbox">
        <div className="segmented" role="group" aria-label="Channel">
          {[
            ['', 'All'],
            ['email', 'E-mail'],
            ['sms', 'SMS'],
          ].map(([v, label]) => (
            <button key={v} type="button" aria-pressed={channel === v} onClick={() => go(v!, recipient)}>
              {label}
            </button>
          ))}
        </div>
        <label className="inline" htmlFor="ob-recipient">
          Recipient
        </label>
        <input
          id="ob-recipient"
          style={{ maxWidth: '18rem' }}
          value={draft}
          placeholder="exact address or number"
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="btn">
          Search
        </button>
      </form>
      <LoadProblem error={page.error} what="The outbox" route="GET /v1/outbox" onRetry={page.reload} />
      <section className="card" aria-label="Caught messages">
        {!page.data && page.loading ? (
          <Loading />
        ) : page.data?.items.length === 0 ? (
          <Empty title="The outbox is empty.">
            Messages appear here when they are sent through the <code>outbox</code> provider (the default when no e-mail
            or SMS provider is configured).
          </Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="outbox">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Type</th>
                  <th scope="col">To</th>
                  <th scope="col">From</th>
                  <th scope="col">Subject / text</th>
                </tr>
              </thead>
              <tbody>
                {page.data?.items.map((m) => (
                  <tr key={m.id}>
                    <td title={fmtDateTime(m.createdAt)}>
                      <Link to={`/outbox/${m.id}`} className="row-link">
                        {fmtAgo(m.createdAt)}
                      </Link>
                    </td>
                    <td>
                      <Badge value={m.channel} tone={m.channel === 'email' ? 'info' : 'progress'} />
                      {m.hasHtml && <span className="muted small"> html</span>}
                    </td>
                    <td className="mono ellipsis">{m.recipient}</td>
                    <td className="mono ellipsis">{m.sender ?? '—'}</td>
                    <td className="ellipsis">
                      {m.subject ? <strong>{m.subject}</strong> : null} <span className="muted">{m.preview}</span>
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
