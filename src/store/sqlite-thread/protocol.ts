/**
 * The messages between the event loop and the SQLite thread (see thread.ts, client.ts).
 * One request, one reply, matched by `id`; the thread answers in the order it was asked.
 */

import type { Step } from '../steps.ts';

/** One statement: SQL text and its parameters (bound in the thread: booleans → 0/1, undefined → NULL). */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

export type Request =
  /** One statement; `begin` runs that BEGIN first (a transaction's first statement in the same round trip). */
  | { id: number; op: 'query'; sql: string; params: readonly unknown[]; begin?: string | undefined }
  /** Several statements of a transaction already open (or opened by `begin`), one round trip (../steps.ts). */
  | { id: number; op: 'steps'; steps: readonly Step[]; begin?: string | undefined }
  /** Several statements in one transaction (BEGIN … COMMIT, ROLLBACK on any error), one round trip. */
  | { id: number; op: 'batch'; statements: readonly Step[] }
  /** Rolls back the open transaction, if any (SQLite ends one by itself on some errors, e.g. SQLITE_FULL). */
  | { id: number; op: 'rollback' }
  | { id: number; op: 'migrate'; now: number }
  | { id: number; op: 'status' }
  | { id: number; op: 'close' };

/**
 * What one statement returns: rows for a statement that has result columns, else the change count.
 * From the thread, rows come as arrays of values with `columns` beside them (see rowsAsObjects).
 */
export interface StatementResult {
  rows: unknown[];
  /** Set while `rows` are arrays of values in this column order (as posted by the thread). */
  columns?: readonly string[] | undefined;
  changes?: number | bigint | undefined;
  lastInsertRowid?: number | bigint | undefined;
}

/*
 * Rows cross the thread boundary as arrays (docs/decisions/0040): a structured clone of an object
 * writes every column name again for every row, and node:sqlite builds the objects on the thread
 * first. For a claim of 500 messages of 33 columns that was ~2.5 µs per row on the SQLite thread
 * (building + serialising objects), against ~1 µs for arrays; the event loop rebuilds the objects
 * with one constructor per column list, which also gives them one shape (~0.7 µs per row less than
 * deserialising objects).
 */
const builders = new Map<string, (values: readonly unknown[]) => Record<string, unknown>>();

function builderFor(columns: readonly string[]): (values: readonly unknown[]) => Record<string, unknown> {
  const key = columns.join('\u0000');
  let build = builders.get(key);
  if (build) return build;
  if (columns.includes('__proto__') || builders.size >= 1000) {
    // A literal would set the prototype; and an unbounded set of column lists gets the plain loop.
    build = (values) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++)
        Object.defineProperty(o, columns[i]!, {
          value: values[i],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return o;
    };
    return build;
  }
  // Duplicate names keep the last value, as node:sqlite's own row objects do.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- column names only, each a JSON string literal
  build = new Function('v', `return {${columns.map((c, i) => `${JSON.stringify(c)}: v[${i}]`).join(', ')}};`) as (
    values: readonly unknown[],
  ) => Record<string, unknown>;
  builders.set(key, build);
  return build;
}

/** Turns a thread result's rows back into objects (in place; a result without `columns` is left as it is). */
export function rowsAsObjects<T extends { rows: unknown[]; columns?: readonly string[] | undefined }>(r: T): T {
  const columns = r.columns;
  if (!columns) return r;
  const build = builderFor(columns);
  const rows = r.rows as unknown[][];
  for (let i = 0; i < rows.length; i++) r.rows[i] = build(rows[i]!);
  delete r.columns;
  return r;
}

/** A database error as plain data: the message and node:sqlite's codes survive the thread boundary. */
export interface ErrorData {
  name: string;
  message: string;
  code?: string | undefined;
  /** SQLite's extended result code (node:sqlite `errcode`), which src/store/faults.ts classifies. */
  errcode?: number | undefined;
  errstr?: string | undefined;
}

export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorData }
  /** Sent once after the database opened (id 0), or with `error` when it could not. */
  | { id: 0; ready: true; error?: ErrorData | undefined };

/** What the thread is started with (workerData). */
export interface ThreadOptions {
  path: string;
  /** Prepared statements kept, by SQL text. */
  cacheSize?: number | undefined;
  /** WAL pages after which a commit checkpoints (default WAL_AUTOCHECKPOINT_PAGES; tests use fewer). */
  walAutocheckpoint?: number | undefined;
}

export function errorData(err: unknown): ErrorData {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; errcode?: unknown; errstr?: unknown };
  return {
    name: e.name,
    message: e.message,
    code: typeof e.code === 'string' ? e.code : undefined,
    errcode: typeof e.errcode === 'number' ? e.errcode : undefined,
    errstr: typeof e.errstr === 'string' ? e.errstr : undefined,
  };
}
