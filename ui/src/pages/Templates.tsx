import { useState, type FormEvent } from 'react';
import { useApi } from '../session.tsx';
import { useLoad } from '../hooks.ts';
import { Empty, ErrorBox, Field, LoadProblem, Loading, PageHeader } from '../components/ui.tsx';
import { fmtDateTime } from '../format.ts';
import { Link, navigate } from '../router.tsx';
import { starterVariant, type Template, type TemplateWithVersion } from '../templates.ts';
import { fieldErrors } from './form-errors.ts';

/** The templates list, and a small form that creates one (then its editor opens). */
export function Templates() {
  const api = useApi();
  const list = useLoad(() => api.get<{ items: Template[] }>('/v1/templates', { limit: 200 }), []);
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<Template['channel']>('email');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errs = fieldErrors(error);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const t = await api.post<TemplateWithVersion>('/v1/templates', {
        name: name.trim(),
        channel,
        variants: { en: starterVariant(channel) },
      });
      navigate(`/templates/${t.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="Stored content with versions and locales, rendered with Liquid for each recipient."
      />
      <div className="grid-2-1">
        <section className="card" aria-label="Templates">
          <LoadProblem error={list.error} what="The templates API" route="GET /v1/templates" onRetry={list.reload} />
          {!list.data && !list.error && <Loading />}
          {list.data && list.data.items.length === 0 && (
            <Empty title="No templates yet">Create one with the form beside this list.</Empty>
          )}
          {list.data && list.data.items.length > 0 && (
            <div className="table-wrap">
              <table className="rows-link" data-testid="templates">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Channel</th>
                    <th scope="col">Version</th>
                    <th scope="col">Changed</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.items.map((t) => (
                    <tr key={t.id}>
                      <td>
                        <Link to={`/templates/${t.id}`}>{t.name}</Link>
                      </td>
                      <td>{t.channel}</td>
                      <td>v{t.latest}</td>
                      <td>{fmtDateTime(t.updatedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <aside>
          <form className="card form-grid" aria-label="New template" onSubmit={(e) => void create(e)} noValidate>
            <h2 className="wide">New template</h2>
            {error !== undefined && !Object.keys(errs).length && <ErrorBox error={error} />}
            <Field label="Template name" id="template-name" hint="Letters, digits, _ . -" error={errs.name}>
              <input id="template-name" value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Template channel" id="template-channel" error={errs.channel}>
              <select
                id="template-channel"
                value={channel}
                onChange={(e) => setChannel(e.target.value as Template['channel'])}
              >
                <option value="email">E-mail</option>
                <option value="sms">SMS</option>
                <option value="webhook">Webhook</option>
              </select>
            </Field>
            <div className="wide">
              <button type="submit" className="btn btn-primary" disabled={busy}>
                {busy ? 'Creating…' : 'Create template'}
              </button>
            </div>
          </form>
        </aside>
      </div>
    </>
  );
}
