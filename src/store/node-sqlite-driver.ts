import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Gives `node:sqlite` the better-sqlite3 shape that Kysely's SqliteDialect expects, for a database
 * used on the event loop (`sqlite::memory:`; a file runs on its own thread, see sqlite-thread/):
 * `reader` tells whether a statement returns rows; `all/run/iterate` take the parameters as one
 * array (node:sqlite wants them spread). Prepared statements are cached by SQL text: Kysely
 * prepares on every query.
 */
export function wrapNodeSqlite(db: DatabaseSync, cacheSize = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) return hit;
      const stmt = adapt(db.prepare(sql));
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

function adapt(stmt: StatementSync): SqliteStatement {
  return {
    reader: stmt.columns().length > 0,
    all: (params) => stmt.all(...bindParams(params)),
    run: (params) => stmt.run(...bindParams(params)),
    iterate: (params) => stmt.iterate(...bindParams(params)) as IterableIterator<unknown>,
  };
}

/** Parameters as node:sqlite binds them: booleans become 0/1, undefined becomes NULL. */
export function bindParams(params: ReadonlyArray<unknown>): SQLInputValue[] {
  return params.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    return p as SQLInputValue;
  });
}

/** Page cache of the connection, in KiB (negative `cache_size`): 16 MiB (decision 0030 on why not 64). */
export const SQLITE_CACHE_KIB = 16_384;

/**
 * Opens the database file with Herald's pragmas: WAL, synchronous=FULL, a busy timeout, and a
 * 16 MiB page cache (docs/decisions/0030): SQLite's default of 2 MB no longer holds the upper
 * levels of the messages table and its indexes once it grows, and every insert then reads pages
 * back from the OS. It is a ceiling, not an allocation: a small database uses what it needs.
 */
export function openSqlite(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec(`PRAGMA cache_size = -${SQLITE_CACHE_KIB}`);
  return db;
}
