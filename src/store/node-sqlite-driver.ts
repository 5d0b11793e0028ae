import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

/** Parameters as node:sqlite binds them: booleans become 0/1, undefined becomes NULL. */
export function bindParams(params: ReadonlyArray<unknown>): SQLInputValue[] {
  return params.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    return p as SQLInputValue;
  });
}

/**
 * Opens the database file with Herald's pragmas: WAL, synchronous=FULL, a busy timeout.
 * A read-only connection (`readOnly`) leaves the journal mode alone (the writer set it) and
 * refuses writes.
 */
export function openSqlite(path: string, opts: { readOnly?: boolean | undefined } = {}): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: 10_000, readOnly: opts.readOnly ?? false });
  if (!opts.readOnly) db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 10000');
  return db;
}
