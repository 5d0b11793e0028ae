import { ApiError } from '../api.ts';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import type { Contact } from '../campaigns.ts';
import type { Message, Page } from '../types.ts';
import { Badge, Empty, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime } from '../format.ts';
import { Link } from '../router.tsx';

interface Preference {
  recipient: string;
  optOut: number;
  updatedAt: string | null;
}
interface Suppression {
  recipient: string;
  reason: string | null;
  source: string;
  createdAt: string;
}
interface Address {
  kind: 'Phone' | 'E-mail';
  value: string;
  preference: Preference | null;
  suppression: Suppression | null;
}

/** The forms a contact's address takes as a message recipient (phones with and without `+`). */
function recipientForms(c: Contact): string[] {
  const out: string[] = [];
  if (c.phone) out.push(c.phone, c.phone.startsWith('+') ? c.phone.slice(1) : `+${c.phone}`);
  if (c.email) out.push(c.email);
  return out;
}

/** Opt-out flags in words: which category bits a recipient refuses. */
function optOutWords(p: Preference | null): string {
  if (!p || p.optOut === 0) return 'Never set: every category is welcome.';
  if (p.optOut === 1) return 'Opted into every category.';
  const bits: number[] = [];
  for (let b = 1n, i = 0; b <= BigInt(p.optOut); b <<= 1n, i++) if (BigInt(p.optOut) & b && i > 0) bits.push(2 ** i);
  return `Refuses categories ${bits.join(', ')} (flags ${p.optOut}).`;
}

/**
 * A contact: its fields and attributes, the opt-out preferences and suppression status of its
 * phone and e-mail, and the messages sent to them (newest first).
 */
export function ContactPage(props: { id: string }) {
  const api = useApi();
  const contact = useLoad(() => api.get<Contact>(`/v1/contacts/${props.id}`), [props.id]);
  const c = contact.data;
  const addresses = useLoad(async (): Promise<Address[]> => {
    if (!c) return [];
    const list: Address[] = [];
    for (const [kind, value] of [
      ['Phone', c.phone],
      ['E-mail', c.email],
    ] as const) {
      if (!value) continue;
      const r = encodeURIComponent(value);
      const [preference, suppression] = await Promise.all([
        api.get<Preference>(`/v1/preferences/${r}`),
        api.get<Suppression>(`/v1/suppressions/${r}`).catch((e: unknown) => {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        }),
      ]);
      list.push({ kind, value, preference, suppression });
    }
    return list;
  }, [c?.id, c?.updatedAt]);
  const messages = useLoad(async () => {
    if (!c) return [];
    const pages = await Promise.all(
      recipientForms(c).map((to) => api.get<Page<Message>>('/v1/messages', { recipient: to, limit: 50 })),
    );
    return pages
      .flatMap((p) => p.items)
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, 50);
  }, [c?.id, c?.updatedAt]);

  if (contact.error)
    return (
      <>
        <PageHeader title="Contact" subtitle={<Link to="/contacts">← Contacts</Link>} />
        <LoadProblem error={contact.error} what="The contacts API" route="GET /v1/contacts/{id}" />
      </>
    );
  if (!c) return <Loading label="Loading the contact…" />;
  const attrs = Object.entries(c.attributes ?? {});
  const name = c.phone ?? c.email ?? c.id;
  return (
    <>
      <PageHeader
        title={name}
        subtitle={
          <>
            <Link to="/contacts">← Contacts</Link> · added {fmtAgo(c.createdAt)}
          </>
        }
      />
      <div className="grid-2">
        <section className="card" aria-labelledby="contact-details">
          <h2 id="contact-details">Details</h2>
          <dl className="facts">
            <dt>Phone</dt>
            <dd className="mono">{c.phone ?? '—'}</dd>
            <dt>E-mail</dt>
            <dd className="mono">{c.email ?? '—'}</dd>
            <dt>Tag</dt>
            <dd>{c.tag ?? '—'}</dd>
            <dt>Operator code</dt>
            <dd>{c.operatorCode ?? '—'}</dd>
            <dt>Time zone</dt>
            <dd>{c.timezone}</dd>
            <dt>Added</dt>
            <dd>{fmtDateTime(c.createdAt)}</dd>
            <dt>Changed</dt>
            <dd>{fmtDateTime(c.updatedAt)}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="contact-attrs">
          <h2 id="contact-attrs">Attributes</h2>
          {attrs.length === 0 ? (
            <p className="muted">No attributes.</p>
          ) : (
            <dl className="facts" data-testid="attributes">
              {attrs.map(([k, v]) => (
                <div key={k} style={{ display: 'contents' }}>
                  <dt className="mono">{k}</dt>
                  <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                </div>
              ))}
            </dl>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="contact-policy">
        <h2 id="contact-policy">Preferences and suppression</h2>
        <LoadProblem
          error={addresses.error}
          what="The preferences API"
          route="GET /v1/preferences/{recipient}"
          onRetry={addresses.reload}
        />
        {!addresses.data && addresses.loading && <Loading />}
        {addresses.data && (
          <div className="table-wrap">
            <table data-testid="contact-policy">
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">Suppression</th>
                  <th scope="col">Preferences</th>
                </tr>
              </thead>
              <tbody>
                {addresses.data.map((a) => (
                  <tr key={a.kind}>
                    <th scope="row">
                      {a.kind} <span className="mono">{a.value}</span>
                    </th>
                    <td>
                      {a.suppression ? (
                        <>
                          <Badge value="suppressed" tone="bad" /> {a.suppression.source}
                          {a.suppression.reason ? `: ${a.suppression.reason}` : ''} · {fmtAgo(a.suppression.createdAt)}
                        </>
                      ) : (
                        <Badge value="not suppressed" tone="ok" />
                      )}
                    </td>
                    <td>
                      {optOutWords(a.preference)}
                      {a.preference?.updatedAt ? ` Set ${fmtAgo(a.preference.updatedAt)}.` : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card" aria-labelledby="contact-messages">
        <h2 id="contact-messages">Messages</h2>
        <LoadProblem error={messages.error} what="The messages API" route="GET /v1/messages" />
        {!messages.data && messages.loading && <Loading />}
        {messages.data && messages.data.length === 0 && <Empty title="No message was sent to this contact yet." />}
        {messages.data && messages.data.length > 0 && (
          <div className="table-wrap">
            <table className="rows-link" data-testid="contact-messages">
              <thead>
                <tr>
                  <th scope="col">Created</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Subject / text</th>
                  <th scope="col">Provider</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {messages.data.map((m) => (
                  <tr key={m.id}>
                    <td title={fmtDateTime(m.createdAt)}>
                      <Link to={`/messages/${m.id}`} className="row-link">
                        {fmtAgo(m.createdAt)}
                      </Link>
                    </td>
                    <td>{m.channel}</td>
                    <td className="ellipsis">{m.subject ?? m.text ?? ''}</td>
                    <td className="nowrap">{m.provider ?? '—'}</td>
                    <td>
                      <Badge value={m.state} title={m.reason ?? undefined} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
