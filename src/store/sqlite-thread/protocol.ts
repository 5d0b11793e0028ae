/**
 * The messages between the event loop and the SQLite thread (see thread.ts, client.ts).
 * One request, one reply, matched by `id`; the thread answers in the order it was asked.
 * Each is one `postMessage` (structured clone), except that a statement's parameters may cross
 * packed as JSON text (packParams, docs/decisions/0032).
 */

import type { Step } from '../steps.ts';

/** One statement: SQL text and its parameters (bound in the thread: booleans → 0/1, undefined → NULL). */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/**
 * A statement's parameters as they cross to the thread: the array itself, or packed — the JSON
 * text of the array, with each string longer than LONG_STRING left out of the text (a `{"$": k}`
 * in its place) and sent as `long[k]`, because JSON would have to escape it while a clone copies it.
 */
export type WireParams = readonly unknown[] | PackedParams;
export interface PackedParams {
  json: string;
  long?: string[] | undefined;
}

/** A step (../steps.ts) with its parameters as they cross. */
export type WireStep<P = WireParams> = Omit<Step, 'params'> & { params: P };

/** `P`: the parameters' form — WireParams on the wire, the plain array where the client is called. */
export type Request<P = WireParams> =
  /** One statement; `begin` runs that BEGIN first (a transaction's first statement in the same round trip). */
  | { id: number; op: 'query'; sql: string; params: P; begin?: string | undefined }
  /** Several statements of a transaction already open (or opened by `begin`), one round trip (../steps.ts). */
  | { id: number; op: 'steps'; steps: readonly WireStep<P>[]; begin?: string | undefined }
  /** Several statements in one transaction (BEGIN … COMMIT, ROLLBACK on any error), one round trip. */
  | { id: number; op: 'batch'; statements: readonly WireStep<P>[] }
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

/*
 * Packing. A structured clone costs per value (its tag, a type check, a property walk), and the
 * thread's deserializer more again; JSON.stringify of an array of primitives and JSON.parse of its
 * text cost about a third as much. The multi-row INSERT of a group of new messages binds 33 values
 * per message, so packing it halves what a group costs to cross (docs/decisions/0032). Only arrays
 * of PACK_MIN values or more are packed (a short list gains nothing), and only when every value
 * comes back from JSON as the same value: a string, a boolean, null, undefined (bound as NULL either
 * way) or a finite number other than -0. Anything else (a bigint, a Uint8Array, NaN) sends the
 * array as it is.
 */
export const PACK_MIN = 16;
/** Strings longer than this cross beside the JSON text, not in it (see WireParams). */
export const LONG_STRING = 256;

export function packParams(params: readonly unknown[]): WireParams {
  if (params.length < PACK_MIN) return params;
  let values: unknown[] | undefined;
  let long: string[] | undefined;
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    switch (typeof p) {
      case 'string':
        if (p.length > LONG_STRING) {
          values ??= params.slice();
          long ??= [];
          values[i] = { $: long.length };
          long.push(p);
        }
        continue;
      case 'boolean':
      case 'undefined':
        continue;
      case 'number':
        if (Number.isFinite(p) && !Object.is(p, -0)) continue;
        return params;
      default:
        if (p === null) continue;
        return params;
    }
  }
  return { json: JSON.stringify(values ?? params), long };
}

/** The parameters as the client gave them (undefined comes back as null: both bind as NULL). */
export function unpackParams(params: WireParams): readonly unknown[] {
  if (Array.isArray(params)) return params as readonly unknown[];
  const { json, long } = params as PackedParams;
  const values = JSON.parse(json) as unknown[];
  if (long) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== null && typeof v === 'object') values[i] = long[(v as { $: number }).$];
    }
  }
  return values;
}

/** A request as it crosses: its statements' parameters packed (packParams). */
export function packRequest(req: Request<readonly unknown[]>): Request {
  switch (req.op) {
    case 'query':
      return { ...req, params: packParams(req.params) };
    case 'steps':
      return { ...req, steps: req.steps.map(packStep) };
    case 'batch':
      return { ...req, statements: req.statements.map(packStep) };
    default:
      return req;
  }
}

function packStep(s: WireStep<readonly unknown[]>): WireStep {
  return { sql: s.sql, params: packParams(s.params), ifPrevious: s.ifPrevious };
}
