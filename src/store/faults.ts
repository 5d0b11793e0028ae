/**
 * Store faults: which database errors mean "the database cannot take writes right now" (it is
 * unreachable, full, busy or failing its I/O) as opposed to a fault of one request or a bug.
 * The first kind is retryable by the caller (503 with Retry-After at the API, kept and retried by
 * the worker); the second belongs to the one request that caused it.
 */

export type FaultKind = 'unreachable' | 'full' | 'busy' | 'io';

/** How long a client should wait before trying again (seconds), sent as `Retry-After`. */
export const RETRY_AFTER_SECONDS = 5;

/** The database cannot take this operation now; trying again later may succeed. `cause` is the driver's error. */
export class StoreUnavailableError extends Error {
  readonly kind: FaultKind;
  constructor(kind: FaultKind, cause: Error) {
    super(`database ${DESCRIBE[kind]}: ${cause.message}${codeOf(cause) ? ` (${codeOf(cause)})` : ''}`, { cause });
    this.name = 'StoreUnavailableError';
    this.kind = kind;
  }
}

const DESCRIBE: Record<FaultKind, string> = {
  unreachable: 'unreachable',
  full: 'full',
  busy: 'busy',
  io: 'I/O error',
};

// SQLite primary result codes (https://sqlite.org/rescode.html); node:sqlite puts the extended code in `errcode`.
const SQLITE_NAMES: Record<number, [string, FaultKind]> = {
  5: ['SQLITE_BUSY', 'busy'],
  6: ['SQLITE_LOCKED', 'busy'],
  7: ['SQLITE_NOMEM', 'io'],
  8: ['SQLITE_READONLY', 'io'],
  10: ['SQLITE_IOERR', 'io'],
  13: ['SQLITE_FULL', 'full'],
  14: ['SQLITE_CANTOPEN', 'io'],
};

// PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html), by code or class.
const PG_STATES: Record<string, FaultKind> = {
  '08': 'unreachable', // connection exception
  '53100': 'full', // disk_full
  '53': 'busy', // insufficient resources (memory, too many connections)
  '57P01': 'unreachable', // admin_shutdown (pg_terminate_backend, restart)
  '57P02': 'unreachable', // crash_shutdown
  '57P03': 'unreachable', // cannot_connect_now (starting up, shutting down)
  '58': 'io', // system error (I/O)
  '40001': 'busy', // serialization_failure
  '40P01': 'busy', // deadlock_detected
  '55P03': 'busy', // lock_not_available
};

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

// node-postgres and pg-pool say these in words, without a code.
const PG_CLIENT_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable$/,
  /^Client has encountered a connection error/,
];

function codeOf(err: Error): string | undefined {
  const e = err as { code?: unknown; errcode?: unknown };
  if (typeof e.errcode === 'number') return SQLITE_NAMES[e.errcode & 0xff]?.[0] ?? `SQLITE_${e.errcode}`;
  return typeof e.code === 'string' && e.code !== 'ERR_SQLITE_ERROR' ? e.code : undefined;
}

/** The fault kind of a driver error, or undefined when it is not an availability fault. */
export function faultKind(err: unknown): FaultKind | undefined {
  if (err instanceof StoreUnavailableError) return err.kind;
  if (!(err instanceof Error)) return undefined;
  const e = err as { code?: unknown; errcode?: unknown };
  if (typeof e.errcode === 'number') return SQLITE_NAMES[e.errcode & 0xff]?.[1];
  if (typeof e.code === 'string') {
    if (NET_CODES.has(e.code)) return 'unreachable';
    const state = PG_STATES[e.code] ?? PG_STATES[e.code.slice(0, 2)];
    if (state && /^[0-9A-Z]{5}$/.test(e.code)) return state;
  }
  return PG_CLIENT_MESSAGES.some((re) => re.test(err.message)) ? 'unreachable' : undefined;
}

/** Wraps an availability fault as StoreUnavailableError; returns anything else unchanged. */
export function classifyStoreError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  const kind = faultKind(err);
  return kind ? new StoreUnavailableError(kind, err as Error) : err;
}

/** True when trying again later may succeed (the fault is the database's, not the request's). */
export function isStoreUnavailable(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreUnavailableError;
}

/** The last availability fault the store met, for readiness (`/readyz`). */
export class FaultLog {
  private last: { at: number; error: StoreUnavailableError } | undefined;
  private readonly now: () => number;
  constructor(now: () => number = Date.now) {
    this.now = now;
  }
  record(error: StoreUnavailableError): void {
    this.last = { at: this.now(), error };
  }
  /** The fault met within the last `withinMs`, if any. */
  recent(withinMs: number): StoreUnavailableError | undefined {
    return this.last && this.now() - this.last.at < withinMs ? this.last.error : undefined;
  }
}
