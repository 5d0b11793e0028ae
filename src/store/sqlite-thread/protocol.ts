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

/** What one statement returns: rows for a statement that has result columns, else the change count. */
export interface StatementResult {
  rows: unknown[];
  changes?: number | bigint | undefined;
  lastInsertRowid?: number | bigint | undefined;
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
