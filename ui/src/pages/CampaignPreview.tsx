import { useApi } from '../session.tsx';
import { useDebounced, useLoad } from '../hooks.ts';
import { renderTemplate, type Contact } from '../campaigns.ts';
import { HtmlFrame } from '../components/HtmlFrame.tsx';
import { Loading } from '../components/ui.tsx';
import { countSegments } from '../../../src/providers/sms/segments.ts';
import type { Preview } from '../templates.ts';

export interface PreviewDraft {
  channel: 'sms' | 'email';
  from: string;
  subject: string;
  text: string;
  html: string;
  templateId: string;
}

/**
 * What one contact would get: for e-mail an e-mail (From, To, Subject, the HTML in a sandboxed
 * frame, else the text), for SMS the text with its segment count. A stored template is rendered
 * by the server (the same Liquid engine that sends); `{placeholders}` are rendered here, exactly
 * as the server does (test/ui/helpers.test.ts).
 */
export function CampaignPreview(props: { draft: PreviewDraft; contact: Partial<Contact> | undefined }) {
  const api = useApi();
  const { draft, contact } = props;
  const key = useDebounced(`${draft.templateId}|${contact?.id ?? ''}`, 200);
  const fromTemplate = useLoad(
    () =>
      draft.templateId && contact?.id
        ? api.post<Preview>(`/v1/templates/${draft.templateId}/preview`, { contactId: contact.id })
        : Promise.resolve(undefined),
    [key],
  );
  const c = contact ?? {};
  const rendered = draft.templateId
    ? fromTemplate.data
    : {
        subject: draft.subject ? renderTemplate(draft.subject, c) : undefined,
        text: draft.text ? renderTemplate(draft.text, c) : undefined,
        html: draft.html ? renderTemplate(draft.html, c) : undefined,
      };
  const segments = draft.channel === 'sms' && rendered?.text ? countSegments(rendered.text) : undefined;
  return (
    <section className="card" aria-labelledby="preview">
      <h2 id="preview">Preview</h2>
      {contact ? (
        <p className="muted small">
          For {draft.channel === 'email' ? contact.email : contact.phone}
          {contact.tag ? ` (${contact.tag})` : ''}
        </p>
      ) : (
        <p className="muted small">No matching contact to preview with; placeholders show empty.</p>
      )}
      {draft.templateId && fromTemplate.error && (
        <div className="alert alert-error" role="alert">
          {fromTemplate.error.message}
        </div>
      )}
      {draft.templateId && !fromTemplate.error && !rendered && contact && <Loading label="Rendering…" />}
      {draft.channel === 'email' && (
        <dl className="mail-head" data-testid="preview-mail">
          <dt>From</dt>
          <dd>{draft.from || '—'}</dd>
          <dt>To</dt>
          <dd>{contact?.email ?? '—'}</dd>
          <dt>Subject</dt>
          <dd>
            <strong>{rendered?.subject ?? '—'}</strong>
          </dd>
        </dl>
      )}
      {draft.channel === 'email' && rendered?.html ? (
        <HtmlFrame html={rendered.html} title="E-mail preview" height={280} />
      ) : (
        <div className="preview" data-testid="preview">
          {rendered?.text ?? <span className="muted">The text shows here.</span>}
        </div>
      )}
      {segments && (
        <p className="muted small" data-testid="preview-segments">
          {rendered!.text!.length} characters · {segments.segments} SMS segment{segments.segments === 1 ? '' : 's'} (
          {segments.encoding})
        </p>
      )}
    </section>
  );
}
