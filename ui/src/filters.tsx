import { useEffect, useState, type ReactNode } from 'react';
import { navigate } from './router.tsx';

/** Filters of a list page as they stand in the URL: only keys with a value. */
export type Filters = Record<string, string>;

function pick(query: URLSearchParams, keys: readonly string[]): Filters {
  const f: Filters = {};
  for (const k of keys) {
    const v = query.get(k);
    if (v) f[k] = v;
  }
  return f;
}

function search(f: Filters, keys: readonly string[]): string {
  const q = new URLSearchParams();
  for (const k of keys) {
    const v = f[k]?.trim();
    if (v) q.set(k, v);
  }
  return q.toString();
}

/**
 * Filters that apply as they change: the page edits a draft; after `ms` without a change the
 * draft goes into the URL (a history entry, so Back returns to the previous filters and the URL
 * can be shared), and the list loads from the URL. A URL change (Back, a link) resets the draft.
 * `ready(draft)` can hold back an incomplete draft (e.g. a substring still too short).
 */
export function useUrlFilters(
  path: string,
  keys: readonly string[],
  query: URLSearchParams,
  opts: { ms?: number; ready?: (f: Filters) => Filters } = {},
) {
  const applied = pick(query, keys);
  const appliedSearch = search(applied, keys);
  const [draft, setDraft] = useState<Filters>(applied);
  const [seen, setSeen] = useState(appliedSearch);
  if (seen !== appliedSearch) {
    setSeen(appliedSearch);
    setDraft(applied);
  }
  const ready = opts.ready ?? ((f: Filters) => f);
  const wanted = search(ready(draft), keys);
  const ms = opts.ms ?? 400;
  useEffect(() => {
    if (wanted === appliedSearch) return;
    const t = setTimeout(() => navigate(`${path}${wanted ? `?${wanted}` : ''}`, { keepScroll: true }), ms);
    return () => clearTimeout(t);
  }, [wanted, appliedSearch, path, ms]);
  return {
    /** What the list shows (from the URL). */
    applied,
    /** A stable string of the applied filters (reload and page-reset key). */
    key: appliedSearch,
    draft,
    /** True while a change waits for the debounce. */
    pending: wanted !== appliedSearch,
    set: (k: string, v: string) => setDraft((d) => ({ ...d, [k]: v })),
    update: (patch: Filters) => setDraft((d) => ({ ...d, ...patch })),
    clear: () => {
      setDraft({});
      navigate(path, { keepScroll: true });
    },
    count: Object.keys(applied).length,
  };
}

/**
 * A filter panel: always open on a wide screen; below 900 px a *Filters (n)* button folds it so the
 * list comes first.
 */
export function FilterPanel(props: { label: string; active: number; children: ReactNode; id: string }) {
  const [open, setOpen] = useState(false);
  return (
    <section className={`card filters-panel${open ? ' open' : ''}`} aria-label={props.label}>
      <button
        type="button"
        className="btn filters-toggle"
        aria-expanded={open}
        aria-controls={props.id}
        onClick={() => setOpen((o) => !o)}
      >
        Filters{props.active > 0 ? ` (${props.active})` : ''}
      </button>
      <div className="filters" id={props.id} role="search" aria-label={props.label}>
        {props.children}
      </div>
    </section>
  );
}
