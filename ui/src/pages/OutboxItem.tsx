import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { Badge, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { HtmlFrame } from '../components/HtmlFrame.tsx';
import { fmtDateTime } from '../format.ts';
import { Link } from '../router.tsx';

interface OutboxDetail {
  id: string;
  channel: string;
  provider: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

export function OutboxItem(props: { id: string }) {
  const api = useApi();
  const item = useLoad(() => api.get<OutboxDetail>(`/v1/outbox/${encodeURIComponent(props.id)}`), [props.id]);
  const m = item.data;
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/outbox">Outbox</Link> <span aria-hidden="true">/</span> <span className="mono">{props.id}</span>
      </nav>
      <PageHeader
        title={m ? (m.subject ?? `${m.channel === 'sms' ? 'SMS' : 'E-mail'} to ${m.recipient}`) : 'Outbox message'}
        subtitle={m ? <Badge value={m.channel} tone={m.channel === 'email' ? 'info' : 'progress'} /> : undefined}
        actions={
          m && (
            <Link className="btn" to={`/messages/${m.id}`}>
              Open the Herald message
            </Link>
          )
        }
      />
      <LoadProblem error={item.error} what="The outbox" route={`GET /v1/outbox/${props.id}`} onRetry={item.reload} />
      {!m && item.loading && <Loading />}
      {m && (
        <section className="card" aria-label="Message">
          <dl className="kv">
            <div>
              <dt>To</dt>
              <dd className="mono">{m.recipient}</dd>
            </div>
            <div>
              <dt>From</dt>
              <dd className="mono">{m.sender ?? '—'}</dd>
            </div>
            {m.subject && (
              <div>
                <dt>Subject</dt>
                <dd>{m.subject}</dd>
              </div>
            )}
            <div>
              <dt>Received</dt>
              <dd>{fmtDateTime(m.createdAt)}</dd>
            </div>
            <div>
              <dt>Provider</dt>
              <dd>{m.provider}</dd>
            </div>
          </dl>
          {m.html && (
            <>
              <h2>HTML</h2>
              <HtmlFrame html={m.html} title={`HTML of ${m.subject ?? 'the e-mail'}`} height={520} />
            </>
          )}
          {m.text && (
            <>
              <h2>{m.channel === 'sms' ? 'Text' : 'Plain text'}</h2>
              <pre className="text-block">{m.text}</pre>
            </>
          )}
          {!m.html && !m.text && <p className="muted">No body.</p>}
        </section>
      )}
    </>
  );
}
