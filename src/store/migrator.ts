import type { DatabaseSync } from 'node:sqlite';
import type { Pool } from 'pg';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations/index.ts';
import type { MigrationStatus } from './store.ts';

/**
 * Forward-only migrations recorded in the `herald_migrations` ledger. Serialised between
 * processes: SQLite by `BEGIN IMMEDIATE` (one writer), PostgreSQL by a transaction-scoped
 * advisory lock. A database whose ledger has a version this code does not know is refused.
 */
export class NewerDatabaseError extends Error {
  constructor(dbVersion: number) {
    super(
      `The database schema is at version ${dbVersion}, newer than this Herald knows (${LATEST_VERSION}). ` +
        'Upgrade Herald, or point it at another database.',
    );
    this.name = 'NewerDatabaseError';
  }
}

const LEDGER = `CREATE TABLE IF NOT EXISTS herald_migrations (
  version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`;

function pending(applied: number[]): Migration[] {
  const max = Math.max(0, ...applied);
  if (max > LATEST_VERSION) throw new NewerDatabaseError(max);
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version));
}

function status(applied: number[]): MigrationStatus {
  // In version order, whatever order they were applied in (0010 came after 0011 and 0012 on older databases).
  return { current: Math.max(0, ...applied), latest: LATEST_VERSION, applied: [...applied].sort((a, b) => a - b) };
}

export function migrateSqlite(db: DatabaseSync, now: () => number): MigrationStatus {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(LEDGER);
    const applied = (db.prepare('SELECT version FROM herald_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    );
    const todo = pending(applied);
    for (const m of todo) {
      db.exec(m.sqlite);
      db.prepare('INSERT INTO herald_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        now(),
      );
      applied.push(m.version);
    }
    db.exec('COMMIT');
    return status(applied);
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

export function sqliteMigrationStatus(db: DatabaseSync): MigrationStatus {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='herald_migrations'").get();
  if (!exists) return status([]);
  return status(
    (db.prepare('SELECT version FROM herald_migrations').all() as { version: number }[]).map((r) => r.version),
  );
}

export async function migratePostgres(pool: Pool, now: () => number): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('herald_migrations'))`);
    await client.query(LEDGER);
    const applied = (await client.query<{ version: number }>('SELECT version FROM herald_migrations')).rows.map(
      (r) => r.version,
    );
    for (const m of pending(applied)) {
      await client.query(m.postgres);
      await client.query('INSERT INTO herald_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        now(),
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return status(applied);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function postgresMigrationStatus(pool: Pool): Promise<MigrationStatus> {
  const { rows } = await pool.query<{ t: string | null }>(`SELECT to_regclass('herald_migrations')::text AS t`);
  if (!rows[0]?.t) return status([]);
  return status(
    (await pool.query<{ version: number }>('SELECT version FROM herald_migrations')).rows.map((r) => r.version),
  );
}
