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

/**
 * Parameters as node:sqlite binds them: booleans become 0/1, undefined becomes NULL. The array itself
 * when it has neither (no copy: a completion chunk binds up to 1,152 values, docs/decisions/0044).
 */
export function bindParams(params: ReadonlyArray<unknown>): SQLInputValue[] {
  let clean = true;
  for (let i = 0; i < params.length && clean; i++) {
    const p = params[i];
    clean = p !== undefined && typeof p !== 'boolean';
  }
  if (clean) return params as SQLInputValue[];
  return params.map((p) => {
    if (p === undefined) return null;
    if (typeof p === 'boolean') return p ? 1 : 0;
    return p as SQLInputValue;
  });
}

/** Page cache of the connection, in KiB (negative `cache_size`): 16 MiB (decision 0030 on why not 64). */
export const SQLITE_CACHE_KIB = 16_384;

/**
 * WAL frames (pages) after which a commit checkpoints: SQLite's default is 1000 (4 MiB), which a
 * batch-ingest group of 2000 messages outgrows by itself, so every commit paid a checkpoint — copying
 * its pages into the database file and an fsync of it — before it returned (docs/decisions/0042).
 * At 10,000 the commit path checkpoints every few groups, and a page written by several groups (index
 * leaves) is copied once. The WAL then peaks at ~40–50 MiB under sustained ingest.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Bytes of WAL file kept when a checkpointed WAL starts over (`journal_size_limit`): the file is
 * reused from its start, not shrunk, so without a limit one large transaction or a long reader in
 * another process that held the checkpoint back would leave its peak on disk for good.
 */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Idle time after the last request before the SQLite thread checkpoints what the WAL holds (PASSIVE). */
export const IDLE_CHECKPOINT_MS = 1000;

/**
 * Opens the database file with Herald's pragmas: WAL, synchronous=FULL, a busy timeout, and a
 * 16 MiB page cache (docs/decisions/0030): SQLite's default of 2 MB no longer holds the upper
 * levels of the messages table and its indexes once it grows, and every insert then reads pages
 * back from the OS. It is a ceiling, not an allocation: a small database uses what it needs.
 * Checkpoints: every WAL_AUTOCHECKPOINT_PAGES, the WAL file trimmed to WAL_SIZE_LIMIT_BYTES (decision 0042).
 */
export function openSqlite(path: string, walAutocheckpoint = WAL_AUTOCHECKPOINT_PAGES): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: 10_000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA busy_timeout = 10000');
  db.exec(`PRAGMA cache_size = -${SQLITE_CACHE_KIB}`);
  db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.floor(walAutocheckpoint))}`);
  db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  return db;
}

/**
 * Checkpoints the WAL once the connection has gone quiet: `busy()` on every request; a tick every
 * `everyMs` that finds no request since the one before, after some, runs a PASSIVE checkpoint
 * (never waits for another connection; what it cannot copy, the next commit's autocheckpoint will).
 * Between bursts the WAL's frames then live in the database file, reads skip the WAL, and the next
 * write starts the WAL over. Costs a flag per request; the timer does not keep the thread alive.
 */
export function checkpointWhenIdle(db: DatabaseSync, everyMs = IDLE_CHECKPOINT_MS): { busy(): void; stop(): void } {
  let recent = false;
  let unsaved = false;
  const timer = setInterval(() => {
    if (recent) {
      recent = false;
      unsaved = true;
      return;
    }
    if (!unsaved || !db.isOpen || db.isTransaction) return;
    unsaved = false;
    try {
      db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or failing disk: the next commit's autocheckpoint tries again, and the write reports it.
    }
  }, everyMs);
  timer.unref();
  return {
    busy: () => {
      recent = true;
    },
    stop: () => clearInterval(timer),
  };
}
