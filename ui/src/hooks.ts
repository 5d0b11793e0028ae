import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Fetches again, keeping the current data on screen meanwhile (no layout jumps). */
  reload(): void;
  updatedAt: number | undefined;
}

/**
 * Loads with `fn` when `deps` change and, with `everyMs`, again on a timer while the tab is
 * visible. A failed refresh keeps the last data and shows the error beside it.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: readonly unknown[], everyMs?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(true);
  const [updatedAt, setUpdatedAt] = useState<number>();
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;

  useEffect(() => {
    let live = true;
    setLoading(true);
    fnRef.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
        setUpdatedAt(Date.now());
      },
      (e: unknown) => {
        if (!live) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);

  useEffect(() => {
    if (!everyMs) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((n) => n + 1);
    }, everyMs);
    return () => clearInterval(t);
  }, [everyMs]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, updatedAt };
}

/** Debounced copy of a value (live counts while typing). */
export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface Actions {
  /** The last action's success line (render with <Notice>). */
  notice: string | undefined;
  /** The last action's failure (render with <ErrorBox>), else undefined. */
  error: unknown;
  busy: boolean;
  setNotice(text: string | undefined): void;
  setError(e: unknown): void;
  /**
   * Asks `confirm` first when given (window.confirm; no means nothing happens), then runs `fn`:
   * on success shows `done` (or what it makes of fn's result) and calls `reload`; on failure keeps the error.
   */
  run<T>(fn: () => Promise<T>, done: string | ((result: T) => string), confirm?: string): Promise<void>;
}

/** The buttons of a page that change something on the server: confirm, run, then a notice or the error. */
export function useActions(reload: () => void): Actions {
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async <T>(fn: () => Promise<T>, done: string | ((result: T) => string), confirm?: string) => {
    if (confirm !== undefined && !window.confirm(confirm)) return;
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const r = await fn();
      setNotice(typeof done === 'string' ? done : done(r));
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { notice, error, busy, setNotice, setError, run };
}

/** A form's submit: no page reload, busy while `save` runs, its failure kept for the form to show. */
export function useSubmit(save: () => Promise<void>): {
  submit(e: FormEvent): Promise<void>;
  busy: boolean;
  error: unknown;
  setError(e: unknown): void;
} {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await save();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { submit, busy, error, setError };
}
