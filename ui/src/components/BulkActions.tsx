import { useState } from 'react';
import { useApi } from '../session.tsx';
import { fmtNum } from '../format.ts';
import { ErrorBox } from './ui.tsx';
import { Notice } from './forms.tsx';

/** The list filters that POST /v1/messages/retry|cancel take (the others narrow only the list). */
const BULK_FILTERS = ['state', 'channel', 'provider', 'recipient', 'campaignId', 'since', 'until'] as const;

interface Outcome {
  dryRun: boolean;
  matched: number;
  eligible: number;
  changed: number;
  skipped: number;
}

type Kind = 'retry' | 'cancel';
const WORDS: Record<Kind, { verb: string; states: string; done: string }> = {
  retry: { verb: 'Retry', states: 'failed, expired or bounced', done: 'queued again' },
  cancel: { verb: 'Cancel', states: 'queued', done: 'cancelled' },
};

/**
 * "Select all matching" on the Messages page: retry or cancel every message the current filters
 * match, not only the page shown. A dry run counts first; nothing changes until the count is
 * confirmed. Filters the bulk routes do not take (searches) disable it rather than being dropped,
 * so it never acts on more messages than the list shows.
 */
export function BulkActions(props: { filters: Record<string, string | undefined>; onDone: () => void }) {
  const api = useApi();
  const [pending, setPending] = useState<{ kind: Kind; count: Outcome }>();
  const [result, setResult] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const body: Record<string, string> = {};
  const unsupported: string[] = [];
  for (const [k, v] of Object.entries(props.filters)) {
    if (!v) continue;
    if ((BULK_FILTERS as readonly string[]).includes(k)) body[k] = v;
    else unsupported.push(k);
  }
  const call = async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const count = async (kind: Kind) => {
    setResult(undefined);
    const r = await call(() => api.post<Outcome>(`/v1/messages/${kind}`, { ...body, dryRun: true }));
    if (r) setPending({ kind, count: r });
  };
  const run = async () => {
    if (!pending) return;
    const kind = pending.kind;
    const r = await call(() => api.post<Outcome>(`/v1/messages/${kind}`, body));
    if (!r) return;
    setPending(undefined);
    setResult(
      `${fmtNum(r.changed)} message${r.changed === 1 ? '' : 's'} ${WORDS[kind].done}` +
        (r.skipped > 0 ? `; ${fmtNum(r.skipped)} skipped (in another state).` : '.'),
    );
    props.onDone();
  };

  return (
    <section className="card bulk-actions" aria-label="Act on all matching messages">
      <div className="toolbar">
        <span className="muted">All messages matching these filters:</span>
        {(['retry', 'cancel'] as const).map((kind) => (
          <button
            key={kind}
            type="button"
            className={kind === 'cancel' ? 'btn btn-danger btn-small' : 'btn btn-small'}
            disabled={busy || unsupported.length > 0}
            onClick={() => void count(kind)}
          >
            {WORDS[kind].verb} all matching…
          </button>
        ))}
      </div>
      {unsupported.length > 0 && (
        <p className="hint">
          Retry and cancel by filter take no recipient search or provider message id: use an exact recipient.
        </p>
      )}
      {pending && (
        <div className="alert bulk-confirm" role="alertdialog" aria-label={`Confirm ${pending.kind}`}>
          {pending.count.eligible === 0 ? (
            <span>
              Nothing to {pending.kind}: none of the {fmtNum(pending.count.matched)} matching messages is{' '}
              {WORDS[pending.kind].states}.
            </span>
          ) : (
            <span>
              <strong data-testid="bulk-count">
                {WORDS[pending.kind].verb} {fmtNum(pending.count.eligible)} message
                {pending.count.eligible === 1 ? '' : 's'}
              </strong>{' '}
              ({WORDS[pending.kind].states}) of {fmtNum(pending.count.matched)} matching?
              {pending.count.skipped > 0 && ` ${fmtNum(pending.count.skipped)} in other states will be skipped.`}
            </span>
          )}
          <span className="toolbar">
            {pending.count.eligible > 0 && (
              <button
                type="button"
                className={pending.kind === 'cancel' ? 'btn btn-danger' : 'btn btn-primary'}
                disabled={busy}
                onClick={() => void run()}
              >
                {WORDS[pending.kind].verb} {fmtNum(pending.count.eligible)}
              </button>
            )}
            <button type="button" className="btn btn-ghost" disabled={busy} onClick={() => setPending(undefined)}>
              {pending.count.eligible > 0 ? 'Keep them' : 'Close'}
            </button>
          </span>
        </div>
      )}
      <Notice text={result} />
      {error !== undefined && <ErrorBox error={error} />}
    </section>
  );
}
