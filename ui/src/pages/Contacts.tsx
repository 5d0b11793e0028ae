import { useState } from 'react';
import { useApi } from '../session.tsx';
import { useActions, useLoad, useSubmit } from '../hooks.ts';
import type { Contact } from '../campaigns.ts';
import { Empty, ErrorBox, Field, FormProblems, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { FormButtons, Notice } from '../components/forms.tsx';
import { contactProblems, fieldErrors } from './form-errors.ts';
import { fmtAgo, fmtDateTime, fmtNum } from '../format.ts';
import { Link } from '../router.tsx';
import { FilterPanel, useUrlFilters } from '../filters.tsx';
import { contactQuery, countBody, type ContactFilter, type ContactPage } from './contacts-api.ts';
import { splitList } from '../campaigns.ts';
import { ImportPanel } from './ContactImport.tsx';
import { Pager, useCursorPages } from '../components/pager.tsx';

interface Draft {
  phone: string;
  email: string;
  tag: string;
  timezone: string;
  operatorCode: string;
  attributes: string;
}

const CONTACT_FIELDS = ['phone', 'email', 'tag', 'timezone', 'operatorCode', 'attributes'];

const EMPTY: Draft = { phone: '', email: '', tag: '', timezone: 'UTC', operatorCode: '', attributes: '{}' };

function draftOf(c: Contact): Draft {
  return {
    phone: c.phone ?? '',
    email: c.email ?? '',
    tag: c.tag ?? '',
    timezone: c.timezone,
    operatorCode: c.operatorCode ?? '',
    attributes: JSON.stringify(c.attributes ?? {}, null, 2),
  };
}

const FILTERS = ['q', 'tag', 'operatorCode', 'timezone', 'channel'] as const;

export function Contacts(props: { query: URLSearchParams }) {
  const api = useApi();
  const f = useUrlFilters('/contacts', FILTERS, props.query);
  const { q = '', tag = '', operatorCode: op = '', timezone: tz = '', channel = '' } = f.applied;
  const key = f.key;
  const pages = useCursorPages(key);
  const cursor = pages.cursor;
  const filter: ContactFilter = {
    tags: splitList(tag),
    operatorCodes: splitList(op),
    timezones: splitList(tz),
    channel: channel === 'sms' || channel === 'email' ? channel : undefined,
    search: q.trim() || undefined,
  };
  const page = useLoad(
    () => api.get<ContactPage>('/v1/contacts', { ...contactQuery(filter), limit: 50, cursor }),
    [key, cursor],
  );
  const count = useLoad(() => api.post<{ count: number }>('/v1/contacts/count', countBody(filter)), [key]);
  const search = f.draft;
  const [editing, setEditing] = useState<Contact | 'new' | null>(null);
  const [importing, setImporting] = useState(false);
  const reload = () => {
    page.reload();
    count.reload();
  };
  const actions = useActions(reload);

  const remove = (c: Contact) =>
    actions.run(
      () => api.del(`/v1/contacts/${c.id}`),
      `Deleted ${c.phone ?? c.email}.`,
      `Delete the contact ${c.phone ?? c.email}? This cannot be undone.`,
    );
  const saved = (what: string) => {
    setEditing(null);
    actions.setNotice(what);
    reload();
  };

  return (
    <>
      <PageHeader
        title="Contacts"
        subtitle={count.data ? `${fmtNum(count.data.count)} contacts match` : 'Campaign recipients'}
        actions={
          <>
            <button type="button" className="btn" onClick={() => setImporting((v) => !v)} aria-expanded={importing}>
              Import CSV
            </button>
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              New contact
            </button>
          </>
        }
      />
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      {importing && (
        <ImportPanel
          onDone={(n) => {
            actions.setNotice(`${fmtNum(n)} contacts imported.`);
            reload();
          }}
        />
      )}
      {editing && (
        <ContactForm
          contact={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(null)}
          onSaved={(c, created) => saved(`${created ? 'Created' : 'Saved'} ${c.phone ?? c.email}.`)}
        />
      )}
      <FilterPanel label="Search and filter contacts" active={f.count} id="contact-filters">
        <Field label="Search" id="c-q" hint="Phone, e-mail, tag or attribute value">
          <input id="c-q" type="search" value={search.q ?? ''} onChange={(e) => f.set('q', e.target.value)} />
        </Field>
        <Field label="Tags" id="c-tag" hint="Comma-separated: any of">
          <input id="c-tag" value={search.tag ?? ''} onChange={(e) => f.set('tag', e.target.value)} />
        </Field>
        <Field label="Operator codes" id="c-op" hint="Comma-separated: any of">
          <input id="c-op" value={search.operatorCode ?? ''} onChange={(e) => f.set('operatorCode', e.target.value)} />
        </Field>
        <Field label="Time zones" id="c-tz" hint="e.g. Europe/Moscow">
          <input id="c-tz" value={search.timezone ?? ''} onChange={(e) => f.set('timezone', e.target.value)} />
        </Field>
        <Field label="Reachable by" id="c-channel" hint="SMS needs a phone">
          <select id="c-channel" value={search.channel ?? ''} onChange={(e) => f.set('channel', e.target.value)}>
            <option value="">Any</option>
            <option value="sms">SMS (has a phone)</option>
            <option value="email">E-mail (has an address)</option>
          </select>
        </Field>
        <div className="filter-actions">
          <span className="muted small" aria-live="polite">
            {f.pending ? 'Applying…' : ''}
          </span>
          {f.count > 0 && (
            <button type="button" className="btn btn-ghost" onClick={f.clear}>
              Clear ({f.count})
            </button>
          )}
        </div>
      </FilterPanel>
      <LoadProblem error={page.error} what="The contacts API" route="GET /v1/contacts" onRetry={page.reload} />
      <section className="card" aria-label="Contacts">
        {!page.data && page.loading ? (
          <Loading />
        ) : page.data && page.data.items.length === 0 ? (
          <Empty title={key === '' ? 'No contacts yet.' : 'No contact matches.'}>
            {key === '' ? 'Create one, or import a CSV file.' : 'Try other filters.'}
          </Empty>
        ) : page.data ? (
          <div className="table-wrap">
            <table data-testid="contacts">
              <thead>
                <tr>
                  <th scope="col">Phone</th>
                  <th scope="col">E-mail</th>
                  <th scope="col" className="wide-only">
                    Operator
                  </th>
                  <th scope="col">Tag</th>
                  <th scope="col" className="wide-only">
                    Time zone
                  </th>
                  <th scope="col" className="wide-only">
                    Added
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.data.items.map((c) => (
                  <tr key={c.id}>
                    <td className="mono">
                      <Link to={`/contacts/${c.id}`} aria-label={`Open ${c.phone ?? c.email}`}>
                        {c.phone ?? '—'}
                      </Link>
                    </td>
                    <td className="mono ellipsis">
                      {c.phone ? (c.email ?? '—') : <Link to={`/contacts/${c.id}`}>{c.email ?? '—'}</Link>}
                    </td>
                    <td className="wide-only">{c.operatorCode ?? '—'}</td>
                    <td>{c.tag ?? '—'}</td>
                    <td className="wide-only">{c.timezone}</td>
                    <td className="wide-only" title={fmtDateTime(c.createdAt)}>
                      {fmtAgo(c.createdAt)}
                    </td>
                    <td className="num">
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={() => setEditing(c)}
                        aria-label={`Edit ${c.phone ?? c.email}`}
                      >
                        Edit
                      </button>{' '}
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => void remove(c)}
                        aria-label={`Delete ${c.phone ?? c.email}`}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <Pager pages={pages} nextCursor={page.data?.nextCursor} labels={['← Previous', 'Next →']} />
      </section>
    </>
  );
}

function ContactForm(props: { contact?: Contact; onCancel(): void; onSaved(c: Contact, created: boolean): void }) {
  const api = useApi();
  const [d, setD] = useState<Draft>(props.contact ? draftOf(props.contact) : EMPTY);
  const [checked, setChecked] = useState<Record<string, string>>({});
  const { submit, busy, error } = useSubmit(async () => {
    const problems = contactProblems(d);
    setChecked(problems);
    if (Object.keys(problems).length > 0) return;
    const attributes = JSON.parse(d.attributes || '{}') as Record<string, unknown>;
    const body = {
      phone: d.phone.trim() || null,
      email: d.email.trim() || null,
      tag: d.tag.trim() || null,
      timezone: d.timezone.trim() || 'UTC',
      ...(d.operatorCode.trim() ? { operatorCode: d.operatorCode.trim() } : {}),
      attributes,
    };
    const c = props.contact
      ? await api.patch<Contact>(`/v1/contacts/${props.contact.id}`, body)
      : await api.post<Contact>('/v1/contacts', body);
    props.onSaved(c, !props.contact);
  });
  // Every problem at once: the form's own checks first (the API checks the JSON shape before the
  // rest), then whatever the API still finds, each beside its field.
  const errs = Object.keys(checked).length > 0 ? checked : fieldErrors(error);
  const set = (k: keyof Draft, v: string) => setD((x) => ({ ...x, [k]: v }));
  return (
    <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="contact-form-title" noValidate>
      <h2 id="contact-form-title">{props.contact ? 'Edit contact' : 'New contact'}</h2>
      <FormProblems error={error} problems={errs} fields={CONTACT_FIELDS} />
      <div className="form-grid">
        <Field label="Phone" id="ct-phone" hint="7XXXXXXXXXX or E.164" error={errs.phone}>
          <input
            id="ct-phone"
            type="tel"
            value={d.phone}
            aria-invalid={!!errs.phone}
            aria-describedby={errs.phone ? 'ct-phone-error' : 'ct-phone-hint'}
            onChange={(e) => set('phone', e.target.value)}
          />
        </Field>
        <Field label="E-mail" id="ct-email" error={errs.email}>
          <input
            id="ct-email"
            type="email"
            value={d.email}
            aria-invalid={!!errs.email}
            aria-describedby={errs.email ? 'ct-email-error' : undefined}
            onChange={(e) => set('email', e.target.value)}
          />
        </Field>
        <Field label="Tag" id="ct-tag" error={errs.tag}>
          <input id="ct-tag" value={d.tag} aria-invalid={!!errs.tag} onChange={(e) => set('tag', e.target.value)} />
        </Field>
        <Field label="Time zone" id="ct-tz" hint="IANA name, e.g. Europe/Moscow" error={errs.timezone}>
          <input
            id="ct-tz"
            list="tz-list"
            value={d.timezone}
            aria-invalid={!!errs.timezone}
            aria-describedby={errs.timezone ? 'ct-tz-error' : 'ct-tz-hint'}
            onChange={(e) => set('timezone', e.target.value)}
          />
        </Field>
        <Field label="Operator code" id="ct-op" hint="Taken from the phone when empty" error={errs.operatorCode}>
          <input
            id="ct-op"
            inputMode="numeric"
            value={d.operatorCode}
            onChange={(e) => set('operatorCode', e.target.value)}
          />
        </Field>
        <Field label="Attributes (JSON)" id="ct-attrs" error={errs.attributes}>
          <textarea
            id="ct-attrs"
            className="mono"
            rows={3}
            value={d.attributes}
            onChange={(e) => set('attributes', e.target.value)}
          />
        </Field>
      </div>
      <datalist id="tz-list">
        {[
          'UTC',
          'Europe/Moscow',
          'Europe/London',
          'Europe/Berlin',
          'America/New_York',
          'Asia/Tokyo',
          'Asia/Yekaterinburg',
        ].map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <FormButtons
        busy={busy}
        label={props.contact ? 'Save contact' : 'Create contact'}
        busyLabel="Saving…"
        onCancel={props.onCancel}
      />
    </form>
  );
}
