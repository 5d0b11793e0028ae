import { useEffect, useState, type FormEvent } from 'react';
import { useApi } from '../session.tsx';
import { useDebounced, useLoad } from '../hooks.ts';
import { splitList, type Campaign, type Contact } from '../campaigns.ts';
import { Field, FormProblems, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { useProviderNames } from '../providers.ts';
import { fmtNum, fromLocalInput, toLocalInput } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { contactQuery, countBody, type ContactPage } from './contacts-api.ts';
import { campaignProblems, fieldErrors } from './form-errors.ts';
import { CampaignPreview } from './CampaignPreview.tsx';
import type { Template } from '../templates.ts';

interface Draft {
  name: string;
  channel: 'sms' | 'email';
  provider: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  templateId: string;
  categories: string;
  operatorCodes: string;
  tags: string;
  startAt: string;
  endAt: string;
  useWindow: boolean;
  windowFrom: string;
  windowTo: string;
  priority: string;
}

const CAMPAIGN_FIELDS = [
  'name',
  'channel',
  'template',
  'from',
  'subject',
  'categories',
  'html',
  'text',
  'filter',
  'startAt',
  'endAt',
  'window',
  'provider',
  'priority',
];

function blank(): Draft {
  const now = Date.now();
  return {
    name: '',
    channel: 'sms',
    provider: '',
    from: '',
    subject: '',
    text: '',
    html: '',
    templateId: '',
    categories: '0',
    operatorCodes: '',
    tags: '',
    startAt: toLocalInput(new Date(now).toISOString()),
    endAt: toLocalInput(new Date(now + 24 * 3_600_000).toISOString()),
    useWindow: false,
    windowFrom: '09:00',
    windowTo: '21:00',
    priority: '0',
  };
}

function fromCampaign(c: Campaign): Draft {
  return {
    name: c.name ?? '',
    channel: c.channel,
    provider: c.provider ?? '',
    from: c.from ?? '',
    subject: c.subject ?? '',
    text: c.text,
    html: c.html ?? '',
    templateId: c.template?.id ?? '',
    categories: String(c.categories),
    operatorCodes: c.filter.operatorCodes.join(', '),
    tags: c.filter.tags.join(', '),
    startAt: toLocalInput(c.startAt),
    endAt: toLocalInput(c.endAt),
    useWindow: !!c.window,
    windowFrom: c.window?.from ?? '09:00',
    windowTo: c.window?.to ?? '21:00',
    priority: String(c.priority),
  };
}

/** The API body; an unchanged template is left out (sending it again would re-pin it to the newest version). */
function toBody(d: Draft, editing: boolean, before?: Campaign) {
  const template =
    editing && d.templateId === (before?.template?.id ?? '') ? undefined : d.templateId ? { id: d.templateId } : null;
  return {
    name: d.name.trim() || null,
    channel: editing ? undefined : d.channel,
    provider: d.provider.trim() || null,
    ...(d.channel === 'email' ? { from: d.from.trim() || null, subject: d.subject || null, html: d.html || null } : {}),
    text: d.text,
    template,
    categories: Number(d.categories) || 0,
    filter: { operatorCodes: splitList(d.operatorCodes), tags: splitList(d.tags) },
    startAt: fromLocalInput(d.startAt),
    endAt: fromLocalInput(d.endAt),
    window: d.useWindow ? { from: d.windowFrom, to: d.windowTo } : null,
    priority: Number(d.priority) || 0,
  };
}

export function CampaignForm(props: { id?: string }) {
  const api = useApi();
  const editing = !!props.id;
  const existing = useLoad(
    () => (props.id ? api.get<Campaign>(`/v1/campaigns/${props.id}`) : Promise.resolve(undefined)),
    [props.id],
  );
  const [draft, setDraft] = useState<Draft>(blank);
  const [loadedFor, setLoadedFor] = useState<string>();
  useEffect(() => {
    if (existing.data && loadedFor !== existing.data.id) {
      setDraft(fromCampaign(existing.data));
      setLoadedFor(existing.data.id);
    }
  }, [existing.data, loadedFor]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const [checked, setChecked] = useState<Record<string, string>>({});
  // Every problem at once: the form's own checks first (the API checks the JSON shape before the
  // rest), then whatever the API still finds, each beside its field.
  const errs = Object.keys(checked).length > 0 ? checked : fieldErrors(error);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  // Live count and a sample contact for the preview, following the filter as it is typed.
  const filterKey = useDebounced(`${draft.channel}|${draft.operatorCodes}|${draft.tags}`, 300);
  const [ch, ops, tags] = filterKey.split('|') as [string, string, string];
  const filter = { operatorCodes: splitList(ops), tags: splitList(tags), channel: ch as 'sms' | 'email' };
  const count = useLoad(() => api.post<{ count: number }>('/v1/contacts/count', countBody(filter)), [filterKey]);
  const sample = useLoad(
    () => api.get<ContactPage>('/v1/contacts', { ...contactQuery(filter), limit: 1 }),
    [filterKey],
  );
  const sampleContact: Partial<Contact> | undefined = sample.data?.items[0];
  const { names: providers } = useProviderNames(draft.channel);
  const templates = useLoad(() => api.get<{ items: Template[] }>('/v1/templates', { limit: 200 }), []);
  const channelTemplates = templates.data?.items.filter((t) => t.channel === draft.channel) ?? [];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = campaignProblems(draft, { editing });
    setChecked(problems);
    setError(undefined);
    if (Object.keys(problems).length > 0) return;
    setSaving(true);
    try {
      const body = toBody(draft, editing, existing.data);
      const c = editing
        ? await api.patch<Campaign>(`/v1/campaigns/${props.id}`, body)
        : await api.post<Campaign>('/v1/campaigns', body);
      navigate(`/campaigns/${c.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  if (editing && !existing.data) {
    return (
      <>
        <PageHeader title="Edit campaign" />
        {existing.error ? (
          <LoadProblem error={existing.error} what="The campaigns API" route={`GET /v1/campaigns/${props.id}`} />
        ) : (
          <Loading />
        )}
      </>
    );
  }
  const describe = (id: string) => (errs[id] ? `${id}-error` : undefined);
  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/campaigns">Campaigns</Link> <span aria-hidden="true">/</span> {editing ? 'Edit' : 'New'}
      </nav>
      <PageHeader title={editing ? 'Edit campaign' : 'New campaign'} />
      <FormProblems error={error} problems={errs} fields={CAMPAIGN_FIELDS} />
      <form className="grid-2-1" onSubmit={(e) => void submit(e)} noValidate>
        <div>
          <section className="card form-grid" aria-label="Campaign">
            <Field label="Name" id="name" hint="For you; recipients never see it.">
              <input id="name" value={draft.name} onChange={(e) => set('name', e.target.value)} />
            </Field>
            <Field label="Channel" id="channel" error={errs.channel}>
              <select
                id="channel"
                value={draft.channel}
                disabled={editing}
                onChange={(e) => set('channel', e.target.value as Draft['channel'])}
              >
                <option value="sms">SMS</option>
                <option value="email">E-mail</option>
              </select>
            </Field>
            <Field
              label="Template"
              id="templateId"
              error={errs.template}
              hint={<Link to="/templates">Manage templates</Link>}
            >
              <select id="templateId" value={draft.templateId} onChange={(e) => set('templateId', e.target.value)}>
                <option value="">None: write the content here</option>
                {channelTemplates.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name} (v{t.latest})
                  </option>
                ))}
              </select>
            </Field>
            {draft.channel === 'email' && (
              <>
                <Field label="From" id="from" error={errs.from}>
                  <input
                    id="from"
                    type="email"
                    value={draft.from}
                    aria-describedby={describe('from')}
                    onChange={(e) => set('from', e.target.value)}
                  />
                </Field>
                {!draft.templateId && (
                  <Field label="Subject" id="subject" error={errs.subject}>
                    <input id="subject" value={draft.subject} onChange={(e) => set('subject', e.target.value)} />
                  </Field>
                )}
                <Field
                  label="Categories"
                  id="categories"
                  error={errs.categories}
                  hint="Bit flags; e-mails in a category carry one-click unsubscribe."
                >
                  <input
                    id="categories"
                    type="number"
                    min={0}
                    value={draft.categories}
                    onChange={(e) => set('categories', e.target.value)}
                  />
                </Field>
              </>
            )}
            {!draft.templateId && draft.channel === 'email' && (
              <div className="wide">
                <Field
                  label="HTML"
                  id="html"
                  error={errs.html}
                  hint="Optional; the text part is made from it when Text is empty."
                >
                  <textarea
                    id="html"
                    className="code"
                    rows={8}
                    value={draft.html}
                    onChange={(e) => set('html', e.target.value)}
                  />
                </Field>
              </div>
            )}
            {!draft.templateId && (
              <div className="wide">
                <Field
                  label="Text"
                  id="text"
                  error={errs.text}
                  hint={
                    <>
                      Placeholders: <code>{'{phone}'}</code> <code>{'{email}'}</code> <code>{'{tag}'}</code>{' '}
                      <code>{'{operatorCode}'}</code> <code>{'{attributes.name}'}</code>
                    </>
                  }
                >
                  <textarea
                    id="text"
                    value={draft.text}
                    required={draft.channel === 'sms'}
                    aria-invalid={errs.text ? true : undefined}
                    aria-describedby={describe('text') ?? 'text-hint'}
                    onChange={(e) => set('text', e.target.value)}
                  />
                </Field>
              </div>
            )}
            <Field label="Operator codes" id="operatorCodes" hint="Comma-separated; empty = any." error={errs.filter}>
              <input
                id="operatorCodes"
                inputMode="numeric"
                value={draft.operatorCodes}
                onChange={(e) => set('operatorCodes', e.target.value)}
              />
            </Field>
            <Field label="Tags" id="tags" hint="Comma-separated; empty = any.">
              <input id="tags" value={draft.tags} onChange={(e) => set('tags', e.target.value)} />
            </Field>
            <Field label="Start" id="startAt" error={errs.startAt}>
              <input
                id="startAt"
                type="datetime-local"
                value={draft.startAt}
                onChange={(e) => set('startAt', e.target.value)}
              />
            </Field>
            <Field label="End" id="endAt" error={errs.endAt} hint="Nothing is sent after this.">
              <input
                id="endAt"
                type="datetime-local"
                value={draft.endAt}
                onChange={(e) => set('endAt', e.target.value)}
              />
            </Field>
            <div className="wide">
              <label className="inline">
                <input type="checkbox" checked={draft.useWindow} onChange={(e) => set('useWindow', e.target.checked)} />
                Only send within a local-time window (each contact's time zone)
              </label>
            </div>
            {draft.useWindow && (
              <>
                <Field label="Window from" id="windowFrom" error={errs.window}>
                  <input
                    id="windowFrom"
                    type="time"
                    value={draft.windowFrom}
                    onChange={(e) => set('windowFrom', e.target.value)}
                  />
                </Field>
                <Field label="Window to" id="windowTo">
                  <input
                    id="windowTo"
                    type="time"
                    value={draft.windowTo}
                    onChange={(e) => set('windowTo', e.target.value)}
                  />
                </Field>
              </>
            )}
            <Field label="Provider" id="provider" error={errs.provider}>
              {providers ? (
                <select id="provider" value={draft.provider} onChange={(e) => set('provider', e.target.value)}>
                  <option value="">The {draft.channel === 'sms' ? 'SMS' : 'e-mail'} route (failover)</option>
                  {providers.map((p) => (
                    <option key={p}>{p}</option>
                  ))}
                  {draft.provider && !providers.includes(draft.provider) && <option>{draft.provider}</option>}
                </select>
              ) : (
                <input id="provider" value={draft.provider} onChange={(e) => set('provider', e.target.value)} />
              )}
            </Field>
            <Field label="Priority" id="priority" hint="0–9, higher first." error={errs.priority}>
              <input
                id="priority"
                type="number"
                min={0}
                max={9}
                value={draft.priority}
                onChange={(e) => set('priority', e.target.value)}
              />
            </Field>
          </section>
          <div className="toolbar">
            <button type="submit" className="btn btn-primary" disabled={saving}>
              {saving ? 'Saving…' : editing ? 'Save changes' : 'Create campaign'}
            </button>
            <Link className="btn btn-ghost" to={editing ? `/campaigns/${props.id}` : '/campaigns'}>
              Cancel
            </Link>
          </div>
        </div>
        <aside>
          <section className="card" aria-labelledby="audience" aria-live="polite">
            <h2 id="audience">Audience</h2>
            {count.error ? (
              <LoadProblem error={count.error} what="Contact counts" route="POST /v1/contacts/count" />
            ) : (
              <p>
                <span className="count-pill" data-testid="match-count">
                  {count.data ? fmtNum(count.data.count) : '…'}
                </span>{' '}
                matching contacts
              </p>
            )}
          </section>
          <CampaignPreview draft={draft} contact={sampleContact} />
        </aside>
      </form>
    </>
  );
}
