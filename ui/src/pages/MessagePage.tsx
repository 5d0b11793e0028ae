import { useApi } from '../session.tsx';
import { useActions, useLoad } from '../hooks.ts';
import { FINAL_STATES, RETRYABLE_STATES, type MessageDetail } from '../types.ts';
import { Badge, ErrorBox, Loading, PageHeader } from '../components/ui.tsx';
import { HtmlFrame } from '../components/HtmlFrame.tsx';
import { Notice } from '../components/forms.tsx';
import { fmtDateTime, fmtMs } from '../format.ts';
import { Link } from '../router.tsx';

export function MessagePage(props: { id: string }) {
  const api = useApi();
  const open = (s: string) => !FINAL_STATES.has(s);
  // Only a queued message can be cancelled: once a provider may have it, Herald cannot take it back.
  const cancellable = (s: string) => s === 'queued';
  const msg = useLoad(() => api.get<MessageDetail>(`/v1/messages/${props.id}`), [props.id], 5000);
  const actions = useActions(msg.reload);
  const busy = actions.busy;
  const m = msg.data;

  const act = (what: 'cancel' | 'retry') =>
    what === 'cancel'
      ? actions.run(
          () => api.post(`/v1/messages/${props.id}/cancel`),
          'Message cancelled.',
          'Cancel this message? It will not be sent.',
        )
      : actions.run(
          () => api.post(`/v1/messages/${props.id}/retry`),
          'Message queued again with a fresh attempt budget.',
        );

  if (!m) {
    return (
      <>
        <PageHeader title="Message" subtitle={<span className="mono">{props.id}</span>} />
        {msg.error ? <ErrorBox error={msg.error} onRetry={msg.reload} /> : <Loading />}
      </>
    );
  }
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/messages">Messages</Link> <span aria-hidden="true">/</span> <span className="mono">{m.id}</span>
      </nav>
      <PageHeader
        title={m.subject ?? `${m.channel} to ${m.to}`}
        subtitle={
          <>
            <Badge value={m.state} /> {m.reason && <span className="muted">{m.reason}</span>}
          </>
        }
        actions={
          <>
            {cancellable(m.state) && (
              <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void act('cancel')}>
                Cancel message
              </button>
            )}
            {RETRYABLE_STATES.has(m.state) && (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void act('retry')}>
                Retry
              </button>
            )}
          </>
        }
      />
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}

      <div className="grid-2-1">
        <section className="card" aria-labelledby="content">
          <h2 id="content">Content</h2>
          <dl className="kv">
            <div>
              <dt>To</dt>
              <dd className="mono">{m.email?.toName ? `${m.email.toName} <${m.to}>` : m.to}</dd>
            </div>
            {m.from && (
              <div>
                <dt>From</dt>
                <dd className="mono">{m.email?.fromName ? `${m.email.fromName} <${m.from}>` : m.from}</dd>
              </div>
            )}
            {m.email?.replyTo && (
              <div>
                <dt>Reply-To</dt>
                <dd className="mono">{m.email.replyTo}</dd>
              </div>
            )}
            {m.email?.headers && (
              <div>
                <dt>Headers</dt>
                <dd className="mono">
                  {Object.entries(m.email.headers)
                    .map(([k, v]) => `${k}: ${v}`)
                    .join('\n')}
                </dd>
              </div>
            )}
            {m.segments !== null && (
              <div>
                <dt>Segments</dt>
                <dd data-testid="segments">
                  {m.segments} SMS part{m.segments === 1 ? '' : 's'}
                </dd>
              </div>
            )}
            {m.subject && (
              <div>
                <dt>Subject</dt>
                <dd>{m.subject}</dd>
              </div>
            )}
          </dl>
          {m.webhook && (
            <>
              <p className="mono">
                {m.webhook.method} {m.webhook.url} {m.webhook.signed && <Badge value="signed" tone="ok" />}
              </p>
              {m.webhook.body !== undefined && (
                <pre className="code-block">{JSON.stringify(m.webhook.body, null, 2)}</pre>
              )}
            </>
          )}
          {m.html && <HtmlFrame html={m.html} title={`HTML body of ${m.subject ?? 'the message'}`} />}
          {m.text && (
            <>
              {m.html && <h3>Text version</h3>}
              <pre className="text-block">{m.text}</pre>
            </>
          )}
        </section>
        <section className="card" aria-labelledby="facts">
          <h2 id="facts">Details</h2>
          <dl className="kv">
            <Fact k="Channel" v={m.channel} />
            <Fact k="Provider" v={m.provider ?? m.lane} />
            <Fact k="Attempts" v={`${m.attemptCount} of ${m.maxAttempts}`} />
            <Fact k="Priority" v={String(m.priority)} />
            <Fact k="Created" v={fmtDateTime(m.createdAt)} />
            <Fact k="Due" v={fmtDateTime(m.dueAt)} />
            {m.notAfter && <Fact k="Not after" v={fmtDateTime(m.notAfter)} />}
            {m.sentAt && <Fact k="Sent" v={fmtDateTime(m.sentAt)} />}
            {m.deliveredAt && <Fact k="Delivered" v={fmtDateTime(m.deliveredAt)} />}
            {m.providerMessageId && <Fact k="Provider id" v={m.providerMessageId} mono />}
            {Object.values(m.engagement).some(Boolean) && (
              <div>
                <dt>Engagement</dt>
                <dd>
                  {(Object.entries(m.engagement) as [string, boolean][])
                    .filter(([, on]) => on)
                    .map(([k]) => (
                      <Badge key={k} value={k} tone={k === 'spam' || k === 'unsubscribed' ? 'warn' : 'ok'} />
                    ))}
                </dd>
              </div>
            )}
            {m.metadata && Object.keys(m.metadata).length > 0 && (
              <div>
                <dt>Metadata</dt>
                <dd>
                  <code className="excerpt">{JSON.stringify(m.metadata, null, 2)}</code>
                </dd>
              </div>
            )}
            {m.campaignId && (
              <div>
                <dt>Campaign</dt>
                <dd>
                  <Link to={`/campaigns/${m.campaignId}`}>{m.campaignId.slice(0, 8)}…</Link>
                </dd>
              </div>
            )}
          </dl>
        </section>
      </div>

      <section className="card" aria-labelledby="attempts">
        <h2 id="attempts">Attempts</h2>
        {m.attempts.length === 0 ? (
          <p className="muted">No attempt yet{open(m.state) ? ': the message is waiting for its turn.' : '.'}</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="attempts">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Started</th>
                  <th scope="col">Provider</th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num">
                    Status
                  </th>
                  <th scope="col">Response / error</th>
                </tr>
              </thead>
              <tbody>
                {m.attempts.map((a) => (
                  <tr key={a.number}>
                    <td className="num">{a.number}</td>
                    <td>{fmtDateTime(a.startedAt)}</td>
                    <td>{a.provider ?? '—'}</td>
                    <td className="num">{fmtMs(a.durationMs)}</td>
                    <td>
                      <Badge
                        value={a.outcome}
                        tone={a.outcome === 'ok' ? 'ok' : a.outcome === 'transient' ? 'warn' : 'bad'}
                      />
                    </td>
                    <td className="num">{a.statusCode ?? '—'}</td>
                    <td>
                      <code className="excerpt">{a.error ?? a.response ?? ''}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="timeline">
        <h2 id="timeline">Timeline</h2>
        <ol className="timeline">
          {m.events.map((e, i) => (
            <li key={i}>
              <time dateTime={e.at}>{fmtDateTime(e.at)}</time>
              <div>
                <strong>{e.type}</strong>{' '}
                {e.to && (
                  <span className="muted">
                    {e.from ?? '—'} → <Badge value={e.to} />
                  </span>
                )}{' '}
                <span className="muted">via {e.source}</span>
                {e.detail && <div className="excerpt">{e.detail}</div>}
              </div>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}

function Fact(props: { k: string; v: string; mono?: boolean }) {
  return (
    <div>
      <dt>{props.k}</dt>
      <dd className={props.mono ? 'mono' : undefined}>{props.v}</dd>
    </div>
  );
}
