import { useState, type FormEvent } from 'react';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { Empty, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { fmtAgo, fmtDateTime } from '../format.ts';
import { navigate } from '../router.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';

export interface AuditEntryView {
  id: string;
  at: string;
  actor: { id: string | null; name: string };
  action: string;
  objectType: string;
  objectId: string | null;
  address: string | null;
  detail: Record<string, unknown> | null;
}

/** datetime-local value → ISO, or undefined when empty or not a date. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export function Audit(props: { query: URLSearchParams }) {
  const api = useApi();
  const q = {
    actor: props.query.get('actor') ?? '',
    action: props.query.get('action') ?? '',
    since: props.query.get('since') ?? '',
    until: props.query.get('until') ?? '',
  };
  const key = `${q.actor}|${q.action}|${q.since}|${q.until}`;
  const pages = useCursorPages(key);
  const page = useLoad(
    () =>
      api.get<{ items: AuditEntryView[]; nextCursor: string | null }>('/v1/audit', {
        actor: q.actor,
        action: q.action,
        since: isoOf(q.since),
        until: isoOf(q.until),
        limit: 50,
        cursor: pages.cursor,
      }),
    [key, pages.cursor],
  );
  const [draft, setDraft] = useState(q);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(draft)) if (v.trim()) p.set(k, v.trim());
    const s = p.toString();
    navigate(`/audit${s ? `?${s}` : ''}`);
  };

  return (
    <>
      <PageHeader title="Audit log" subtitle="Who changed what, when, from where. Kept at least 90 days." />
      <form className="card filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field label="Actor" id="au-actor" hint="Key name or id">
          <input id="au-actor" value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: e.target.value })} />
        </Field>
        <Field label="Action" id="au-action" hint="e.g. campaign, or key.revoke">
          <input id="au-action" value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value })} />
        </Field>
        <Field label="From" id="au-since">
          <input
            id="au-since"
            type="datetime-local"
            value={draft.since}
            onChange={(e) => setDraft({ ...draft, since: e.target.value })}
          />
        </Field>
        <Field label="Before" id="au-until">
          <input
            id="au-until"
            type="datetime-local"
            value={draft.until}
            onChange={(e) => setDraft({ ...draft, until: e.target.value })}
          />
        </Field>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
        </div>
      </form>
      <LoadProblem error={page.error} what="The audit API" route="GET /v1/audit" onRetry={page.reload} />
      <section className="card" aria-label="Audit entries">
        {!page.data && page.loading ? (
          <Loading />
        ) : page.data && page.data.items.length === 0 ? (
          <Empty title={key === '|||' ? 'Nothing recorded yet.' : 'No entry matches.'} />
        ) : page.data ? (
          <div className="table-wrap">
            <table data-testid="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Object</th>
                  <th scope="col">From</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((e) => (
                  <tr key={e.id}>
                    <td title={fmtDateTime(e.at)}>{fmtAgo(e.at)}</td>
                    <td title={e.actor.id ?? undefined}>{e.actor.name}</td>
                    <td className="mono">{e.action}</td>
                    <td className="mono ellipsis">
                      {e.objectType}
                      {e.objectId ? ` ${e.objectId}` : ''}
                    </td>
                    <td className="mono">{e.address ?? '—'}</td>
                    <td className="mono ellipsis">{e.detail ? JSON.stringify(e.detail) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager pages={pages} nextCursor={page.data?.nextCursor} />
      </section>
    </>
  );
}
