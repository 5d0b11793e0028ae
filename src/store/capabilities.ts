/**
 * What differs between the two stores, in one table (pg-boss's BACKEND_PROFILES). Code above the
 * store asks these flags instead of testing the dialect by name.
 */
export interface Capabilities {
  /** `FOR UPDATE SKIP LOCKED` in the claim: competing workers skip each other's rows instead of waiting.
   *  SQLite has one writer at a time, so the claim's UPDATE is already exclusive. */
  skipLocked: boolean;
  /** `LISTEN/NOTIFY` can wake idle workers in other processes; elsewhere they poll. */
  listenNotify: boolean;
  /** Advisory locks elect one scheduler among processes; SQLite runs one process per file in practice. */
  advisoryLocks: boolean;
  /** A group of new messages or of completions is ONE statement (data-modifying CTEs, PostgreSQL): one
   *  round trip that commits by itself. SQLite has no such CTEs: its thread runs a short list of
   *  steps in one call instead (src/store/message-writes.ts, docs/decisions/0028). */
  oneStatementWrites: boolean;
  /** Name the index in hot statements (`INDEXED BY`): SQLite has no planner statistics until ANALYZE
   *  and would sort every queued row in the claim; PostgreSQL's planner keeps statistics itself. */
  indexHints: boolean;
  /** Placeholders are `$1, $2…` (PostgreSQL) rather than `?` (SQLite), for the few statements written as text. */
  numberedParams: boolean;
  /** Case-insensitive search is `ILIKE` (PostgreSQL, served by pg_trgm indexes, migration 0009); SQLite's
   *  `LIKE` ignores ASCII case already and takes an explicit `ESCAPE`. */
  ilike: boolean;
  /** Largest number of bound parameters in one statement (SQLite: 32766; PostgreSQL: 65535). */
  maxParams: number;
  /** Group commits a pipeline (ingest, completions) keeps in flight at once (docs/decisions/0022).
   *  SQLite has one writer: a second transaction would only wait. PostgreSQL: pool size / 4. */
  commitsInFlight: number;
  /** Read a page of rows as one JSON text (`json_group_array`): SQLite's rows cross from its thread to
   *  the event loop, and one string crosses far cheaper than thousands of row objects. PostgreSQL's
   *  driver parses rows on the event loop either way. */
  pageAsJson: boolean;
}

export const CAPABILITIES = {
  sqlite: {
    skipLocked: false,
    listenNotify: false,
    advisoryLocks: false,
    oneStatementWrites: false,
    indexHints: true,
    numberedParams: false,
    ilike: false,
    maxParams: 32766,
    commitsInFlight: 1,
    pageAsJson: true,
  },
  postgres: {
    skipLocked: true,
    listenNotify: true,
    advisoryLocks: true,
    oneStatementWrites: true,
    indexHints: false,
    numberedParams: true,
    ilike: true,
    maxParams: 65535,
    commitsInFlight: 5,
    pageAsJson: false,
  },
} as const satisfies Record<string, Capabilities>;

export type Dialect = keyof typeof CAPABILITIES;
