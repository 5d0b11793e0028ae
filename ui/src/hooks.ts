import { useCallback, useEffect, useRef, useState } from 'react';
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
