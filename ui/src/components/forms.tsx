import type { ReactNode } from 'react';

/** Pieces the create/edit forms and their pages share: notices, a once-shown secret, check lists, form buttons. */

/** A short success line at the top of a page (role=status, so screen readers announce it); nothing when empty. */
export function Notice(props: { text: string | undefined }) {
  if (!props.text) return null;
  return (
    <div className="alert alert-ok" role="status">
      {props.text}
    </div>
  );
}

/** A secret the server shows only once (API key, endpoint signing secret), until the operator dismisses it. */
export function SecretOnce(props: { title: ReactNode; note: string; secret: string; testId: string; onDone(): void }) {
  return (
    <div className="alert alert-ok" role="status" data-testid={props.testId}>
      <div>
        <strong>{props.title}</strong> {props.note}
        <pre className="mono secret">{props.secret}</pre>
      </div>
      <button type="button" className="btn btn-small" onClick={props.onDone}>
        I have copied it
      </button>
    </div>
  );
}

/** A fieldset of checkboxes (event types, scopes): each value in code, with an optional note beside it. */
export function CheckList(props: {
  legend: string;
  options: readonly { value: string; note?: string }[];
  chosen: readonly string[];
  onChange(chosen: string[]): void;
  /** Shown under the boxes (role=alert) when set. */
  error?: string | undefined;
}) {
  const toggle = (v: string) =>
    props.onChange(props.chosen.includes(v) ? props.chosen.filter((x) => x !== v) : [...props.chosen, v]);
  return (
    <fieldset className={`field${props.error ? ' has-error' : ''}`}>
      <legend>{props.legend}</legend>
      {props.options.map((o) => (
        <label key={o.value} className="inline check">
          <input type="checkbox" checked={props.chosen.includes(o.value)} onChange={() => toggle(o.value)} />{' '}
          <code>{o.value}</code>
          {o.note !== undefined && (
            <>
              {' '}
              <span className="muted">{o.note}</span>
            </>
          )}
        </label>
      ))}
      {props.error && (
        <div className="field-error" role="alert">
          {props.error}
        </div>
      )}
    </fieldset>
  );
}

/** A form's submit button (disabled and relabelled while busy) and its Cancel. */
export function FormButtons(props: { busy: boolean; label: string; busyLabel: string; onCancel(): void }) {
  return (
    <div className="toolbar">
      <button type="submit" className="btn btn-primary" disabled={props.busy}>
        {props.busy ? props.busyLabel : props.label}
      </button>
      <button type="button" className="btn btn-ghost" onClick={props.onCancel}>
        Cancel
      </button>
    </div>
  );
}
