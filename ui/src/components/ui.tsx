import { useEffect, useRef, type ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { fmtAgo } from '../format.ts';

/** Small shared pieces: page header, badges, states (loading, empty, error, unavailable). */

export function PageHeader(props: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Herald`;
  }, [props.title]);
  return (
    <header className="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1} id="page-title">
          {props.title}
        </h1>
        {props.subtitle && <p className="subtitle">{props.subtitle}</p>}
      </div>
      {props.actions && <div className="actions">{props.actions}</div>}
    </header>
  );
}

const STATE_TONE: Record<string, string> = {
  queued: 'info',
  sending: 'info',
  sent: 'progress',
  delivered: 'ok',
  failed: 'bad',
  bounced: 'bad',
  suppressed: 'muted',
  expired: 'warn',
  cancelled: 'muted',
  scheduled: 'info',
  running: 'progress',
  paused: 'warn',
  finished: 'ok',
  closed: 'ok',
  open: 'bad',
  'half-open': 'warn',
  half_open: 'warn',
};

export function Badge(props: { value: string; tone?: string; title?: string }) {
  return (
    <span className={`badge tone-${props.tone ?? STATE_TONE[props.value] ?? 'muted'}`} title={props.title}>
      {props.value}
    </span>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <div className="state-box" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {props.label ?? 'Loading…'}
    </div>
  );
}

export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <div className="state-box empty">
      <strong>{props.title}</strong>
      {props.children && <div>{props.children}</div>}
    </div>
  );
}

export function ErrorBox(props: { error: unknown; onRetry?: () => void }) {
  const e = props.error;
  const msg = e instanceof Error ? e.message : String(e);
  const code = e instanceof ApiError ? e.code : undefined;
  return (
    <div className="alert alert-error" role="alert">
      <div>
        <strong>{code === 'HERALD_VALIDATION' ? 'Not accepted:' : 'Something went wrong.'}</strong>{' '}
        {code === 'HERALD_VALIDATION' ? msg.replace(/^The request is not valid:\s*/, '') : msg}
        {code && <span className="code"> ({code})</span>}
      </div>
      {props.onRetry && (
        <button type="button" className="btn btn-small" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Shown when the API this page needs is not on this server. */
export function Unavailable(props: { what: string; route: string }) {
  return (
    <div className="state-box empty" data-testid="unavailable">
      <strong>{props.what} is not available on this Herald.</strong>
      <div>
        The server does not answer <code>{props.route}</code>. This page lights up when a Herald with that API is
        running.
      </div>
    </div>
  );
}

/** Error, unavailable, or nothing: the usual top of a data section. */
export function LoadProblem(props: { error: unknown; what: string; route: string; onRetry?: () => void }) {
  if (!props.error) return null;
  if (props.error instanceof ApiError && props.error.unavailable)
    return <Unavailable what={props.what} route={props.route} />;
  return <ErrorBox error={props.error} onRetry={props.onRetry} />;
}

export function Updated(props: { at: number | undefined; loading?: boolean }) {
  return (
    <span className="updated" aria-live="off">
      {props.loading ? 'Refreshing…' : props.at ? `Updated ${fmtAgo(new Date(props.at).toISOString())}` : ''}
    </span>
  );
}

export function Progress(props: { parts: { value: number; tone: string; label: string }[]; total: number }) {
  const total = Math.max(props.total, 1);
  const label = props.parts.map((p) => `${p.label} ${p.value}`).join(', ') + ` of ${props.total}`;
  return (
    <div className="progress" role="img" aria-label={label} title={label}>
      {props.parts.map((p) => (
        <span key={p.label} className={`seg tone-${p.tone}`} style={{ width: `${(100 * p.value) / total}%` }} />
      ))}
    </div>
  );
}

export function Field(props: { label: string; id: string; hint?: ReactNode; error?: string; children: ReactNode }) {
  return (
    <div className={`field${props.error ? ' has-error' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <div className="hint" id={`${props.id}-hint`}>
          {props.hint}
        </div>
      )}
      {props.error && (
        <div className="field-error" id={`${props.id}-error`} role="alert">
          {props.error}
        </div>
      )}
    </div>
  );
}

export function Stat(props: { label: string; value: ReactNode; hint?: ReactNode; tone?: string; testId?: string }) {
  return (
    <div className={`stat${props.tone ? ` stat-${props.tone}` : ''}`} data-testid={props.testId}>
      <div className="stat-label">{props.label}</div>
      <div className="stat-value">{props.value}</div>
      {props.hint && <div className="stat-hint">{props.hint}</div>}
    </div>
  );
}

/**
 * The top of a form after a refused save: how many problems, each shown beside its field; a
 * problem with no field on the form is listed here in words. Any other error shows as ErrorBox.
 */
export function FormProblems(props: { error: unknown; problems: Record<string, string>; fields: readonly string[] }) {
  const keys = Object.keys(props.problems);
  const ref = useRef<HTMLDivElement>(null);
  const summary = keys.join('|');
  useEffect(() => {
    if (summary) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [summary]);
  if (keys.length === 0) return props.error === undefined ? null : <ErrorBox error={props.error} />;
  const elsewhere = keys.filter((k) => !props.fields.includes(k));
  return (
    <div className="alert alert-error" role="alert" data-testid="form-problems" ref={ref}>
      <div>
        <strong>Not saved.</strong> {keys.length === 1 ? 'One thing to fix' : `${keys.length} things to fix`}
        {elsewhere.length < keys.length ? ', shown beside the fields.' : ':'}
        {elsewhere.length > 0 && (
          <ul>
            {elsewhere.map((k) => (
              <li key={k}>
                {k === 'form' ? '' : `${k}: `}
                {props.problems[k]}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
