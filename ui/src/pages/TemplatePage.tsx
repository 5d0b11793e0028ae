import { useEffect, useState } from 'react';
import { ApiError } from '../api.ts';
import { useApi } from '../session.tsx';
import { useActions, useDebounced, useLoad } from '../hooks.ts';
import { ErrorBox, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { Notice } from '../components/forms.tsx';
import { HtmlFrame } from '../components/HtmlFrame.tsx';
import { fmtDateTime } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import type { Contact } from '../campaigns.ts';
import {
  compactVariants,
  FIELDS,
  type Preview,
  type TemplateVersion,
  type TemplateWithVersion,
  type Variant,
} from '../templates.ts';

const LABEL: Record<keyof Variant, string> = { subject: 'Subject', text: 'Text', html: 'HTML', body: 'Body' };

/**
 * One template: the editor of its variants (one per locale), a live preview for a sample contact
 * or custom data, the version history, and a test-send. Saving writes a new version; versions
 * already written never change.
 */
export function TemplatePage(props: { id: string }) {
  const api = useApi();
  const [version, setVersion] = useState<number>();
  const loaded = useLoad(
    () => api.get<TemplateWithVersion>(`/v1/templates/${props.id}`, { version }),
    [props.id, version],
  );
  const history = useLoad(
    () => api.get<{ items: TemplateVersion[] }>(`/v1/templates/${props.id}/versions`),
    [props.id, loaded.data?.latest],
  );
  const [variants, setVariants] = useState<Record<string, Variant>>({});
  const [locale, setLocale] = useState('en');
  const [defaultLocale, setDefaultLocale] = useState('en');
  const [newLocale, setNewLocale] = useState('');
  const actions = useActions(loaded.reload);
  const t = loaded.data;

  useEffect(() => {
    if (!t) return;
    setVariants(t.current.variants);
    setDefaultLocale(t.current.defaultLocale);
    setLocale(t.current.defaultLocale);
  }, [t]);

  if (!t)
    return (
      <>
        <PageHeader title="Template" />
        {loaded.error ? (
          <LoadProblem error={loaded.error} what="The templates API" route={`GET /v1/templates/${props.id}`} />
        ) : (
          <Loading />
        )}
      </>
    );

  const current = variants[locale] ?? {};
  const setField = (f: keyof Variant, v: string) =>
    setVariants((all) => ({ ...all, [locale]: { ...(all[locale] ?? {}), [f]: v } }));
  const save = () =>
    actions.run(
      async () => {
        const r = await api.post<TemplateWithVersion>(`/v1/templates/${t.id}/versions`, {
          defaultLocale,
          variants: compactVariants(variants),
        });
        setVersion(undefined);
        return r;
      },
      (r) => `Saved as version ${r.current.version}.`,
    );
  const remove = async () => {
    if (!window.confirm(`Delete the template ${t.name} and all its versions?`)) return;
    try {
      await api.del(`/v1/templates/${t.id}`);
      navigate('/templates');
    } catch (err) {
      actions.setError(err);
    }
  };
  const addLocale = () => {
    const l = newLocale.trim();
    if (!l || variants[l]) return;
    setVariants((all) => ({ ...all, [l]: { ...(all[locale] ?? {}) } }));
    setLocale(l);
    setNewLocale('');
  };

  return (
    <>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/templates">Templates</Link> <span aria-hidden="true">/</span> {t.name}
      </nav>
      <PageHeader
        title={t.name}
        subtitle={`${t.channel} template · showing version ${t.current.version} of ${t.latest}`}
        actions={
          <button type="button" className="btn btn-danger" onClick={() => void remove()}>
            Delete template
          </button>
        }
      />
      <Notice text={actions.notice} />
      {actions.error !== undefined && <ErrorBox error={actions.error} />}
      <div className="grid-2-1">
        <div>
          <section className="card form-grid" aria-label="Editor">
            <Field label="Locale" id="locale">
              <select id="locale" value={locale} onChange={(e) => setLocale(e.target.value)}>
                {Object.keys(variants).map((l) => (
                  <option key={l} value={l}>
                    {l}
                    {l === defaultLocale ? ' (default)' : ''}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Add locale" id="new-locale" hint="e.g. de, pt-BR: starts as a copy of this one.">
              <div className="inline">
                <input id="new-locale" value={newLocale} onChange={(e) => setNewLocale(e.target.value)} />
                <button type="button" className="btn" onClick={addLocale}>
                  Add
                </button>
              </div>
            </Field>
            {FIELDS[t.channel].map((f) => (
              <div className="wide" key={f}>
                <Field label={LABEL[f]} id={`field-${f}`}>
                  {f === 'subject' ? (
                    <input id={`field-${f}`} value={current[f] ?? ''} onChange={(e) => setField(f, e.target.value)} />
                  ) : (
                    <textarea
                      id={`field-${f}`}
                      className="code"
                      rows={f === 'html' ? 10 : 4}
                      value={current[f] ?? ''}
                      onChange={(e) => setField(f, e.target.value)}
                    />
                  )}
                </Field>
              </div>
            ))}
            <div className="wide">
              <label className="inline">
                <input
                  type="checkbox"
                  checked={defaultLocale === locale}
                  onChange={(e) => e.target.checked && setDefaultLocale(locale)}
                />
                Use {locale} when a recipient's locale has no variant
              </label>
            </div>
            <p className="wide muted small">
              Liquid: <code>{'{{ name }}'}</code>, <code>{'{{ contact.email }}'}</code>,{' '}
              <code>{'{% if vip %}…{% endif %}'}</code>. A variable the data lacks stops the message (no blanks).
            </p>
          </section>
          <div className="toolbar">
            <button type="button" className="btn btn-primary" onClick={() => void save()}>
              Save as version {t.latest + 1}
            </button>
          </div>
          <VersionHistory
            versions={history.data?.items}
            showing={t.current.version}
            latest={t.latest}
            onOpen={(v) => {
              actions.setNotice(undefined);
              setVersion(v === t.latest ? undefined : v);
            }}
          />
        </div>
        <aside>
          <LivePreview template={t} variants={variants} locale={locale} />
          <TestSend template={t} locale={locale} />
        </aside>
      </div>
    </>
  );
}

function VersionHistory(props: {
  versions: TemplateVersion[] | undefined;
  showing: number;
  latest: number;
  onOpen(v: number): void;
}) {
  return (
    <section className="card" aria-labelledby="history">
      <h2 id="history">Version history</h2>
      {!props.versions ? (
        <Loading />
      ) : (
        <div className="table-wrap">
          <table data-testid="versions">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Saved</th>
                <th scope="col">Locales</th>
                <th scope="col">
                  <span className="sr-only">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {props.versions.map((v) => (
                <tr key={v.version} aria-current={v.version === props.showing ? 'true' : undefined}>
                  <td>
                    v{v.version}
                    {v.version === props.latest ? ' (newest)' : ''}
                  </td>
                  <td>{fmtDateTime(v.createdAt)}</td>
                  <td>{Object.keys(v.variants).join(', ')}</td>
                  <td>
                    {v.version === props.showing ? (
                      <span className="muted">showing</span>
                    ) : (
                      <button type="button" className="btn btn-small" onClick={() => props.onOpen(v.version)}>
                        Open v{v.version}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Renders the editor's unsaved variants for a sample contact (or custom JSON data), as the server will. */
function LivePreview(props: { template: TemplateWithVersion; variants: Record<string, Variant>; locale: string }) {
  const api = useApi();
  const channel = props.template.channel;
  const contacts = useLoad(
    () =>
      api.get<{ items: Contact[] }>('/v1/contacts', {
        limit: 20,
        channel: channel === 'webhook' ? undefined : channel,
      }),
    [channel],
  );
  const [contactId, setContactId] = useState('');
  const [data, setData] = useState('{"name": "Ada"}');
  const first = contacts.data?.items[0]?.id ?? '';
  const chosen = contactId || first;
  const useContact = chosen !== '' && contactId !== 'custom';
  const key = useDebounced(JSON.stringify([props.variants, props.locale, useContact ? chosen : data]), 300);
  const preview = useLoad(async () => {
    let parsed: unknown = {};
    if (!useContact) {
      try {
        parsed = JSON.parse(data || '{}');
      } catch {
        throw new Error('The custom data is not valid JSON.');
      }
    }
    return api.post<Preview>(`/v1/templates/${props.template.id}/preview`, {
      variants: compactVariants(props.variants),
      locale: props.locale,
      ...(useContact ? { contactId: chosen } : { data: parsed }),
    });
  }, [key]);
  const problem =
    preview.error instanceof ApiError && Array.isArray(preview.error.details)
      ? (preview.error.details as { message: string }[]).map((d) => d.message).join('; ')
      : preview.error?.message;
  const p = preview.data;
  return (
    <section className="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <Field label="Render for" id="preview-for">
        <select id="preview-for" value={useContact ? chosen : 'custom'} onChange={(e) => setContactId(e.target.value)}>
          {contacts.data?.items.map((c) => (
            <option key={c.id} value={c.id}>
              {c.email ?? c.phone}
            </option>
          ))}
          <option value="custom">Custom data (JSON)</option>
        </select>
      </Field>
      {!useContact && (
        <Field label="Data" id="preview-data">
          <textarea
            id="preview-data"
            className="code"
            rows={4}
            value={data}
            onChange={(e) => setData(e.target.value)}
          />
        </Field>
      )}
      <div aria-live="polite" data-testid="template-preview">
        {problem ? (
          <div className="alert alert-error" role="alert">
            {problem}
          </div>
        ) : !p ? (
          <Loading label="Rendering…" />
        ) : (
          <>
            {p.subject !== undefined && (
              <p>
                <strong data-testid="preview-subject">{p.subject}</strong>
              </p>
            )}
            {p.html !== undefined && <HtmlFrame html={p.html} title="Rendered HTML" height={260} />}
            {p.text !== undefined && <pre className="preview">{p.text}</pre>}
            {p.body !== undefined && <pre className="preview">{p.body}</pre>}
            {p.segments !== undefined && (
              <p className="muted small" data-testid="preview-segments">
                {p.segments} SMS segment{p.segments === 1 ? '' : 's'} ({p.encoding})
              </p>
            )}
          </>
        )}
      </div>
    </section>
  );
}

/** Sends one real message with the shown version, to check it in a real inbox or phone. */
function TestSend(props: { template: TemplateWithVersion; locale: string }) {
  const api = useApi();
  const channel = props.template.channel;
  const [to, setTo] = useState('');
  const [from, setFrom] = useState('');
  const [data, setData] = useState('{"name": "Ada"}');
  const [result, setResult] = useState<{ id: string } | undefined>();
  const [error, setError] = useState<unknown>();
  if (channel === 'webhook') return null;
  const send = async () => {
    setError(undefined);
    setResult(undefined);
    try {
      const r = await api.post<{ id: string }>('/v1/messages', {
        channel,
        to: to.trim(),
        ...(channel === 'email' ? { from: from.trim() } : {}),
        template: {
          id: props.template.id,
          version: props.template.current.version,
          locale: props.locale,
          data: JSON.parse(data || '{}') as unknown,
        },
      });
      setResult(r);
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error('The data is not valid JSON.') : err);
    }
  };
  return (
    <section className="card form-grid" aria-labelledby="test-send">
      <h2 id="test-send" className="wide">
        Test-send
      </h2>
      <Field label="Send to" id="test-to">
        <input id="test-to" value={to} onChange={(e) => setTo(e.target.value)} />
      </Field>
      {channel === 'email' && (
        <Field label="Send from" id="test-from">
          <input id="test-from" value={from} onChange={(e) => setFrom(e.target.value)} />
        </Field>
      )}
      <div className="wide">
        <Field label="Test data" id="test-data">
          <textarea id="test-data" className="code" rows={3} value={data} onChange={(e) => setData(e.target.value)} />
        </Field>
      </div>
      <div className="wide">
        <button type="button" className="btn" onClick={() => void send()}>
          Send test
        </button>
      </div>
      {error !== undefined && (
        <div className="wide">
          <ErrorBox error={error} />
        </div>
      )}
      {result && (
        <p className="wide" role="status">
          Test message queued: <Link to={`/messages/${result.id}`}>open it</Link>.
        </p>
      )}
    </section>
  );
}
