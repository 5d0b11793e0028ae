import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from './stores.ts';

/**
 * Looks at and ends this test's own PostgreSQL sessions, found by their application_name
 * (a store opened with schema S names its connections `herald:S`). Never touches anyone else's.
 */
async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL, application_name: 'herald-test-admin' });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** pg_terminate_backend of every session whose application_name is `name` (exactly). Returns how many. */
export function terminateSessions(name: string): Promise<number> {
  if (!name.startsWith('herald:')) throw new Error(`refusing to end sessions of ${name}: not a test store's`);
  return withAdmin(async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE application_name = $1 AND pid <> pg_backend_pid()`,
      [name],
    );
    return rows[0]!.n;
  });
}

/** The sessions named `name`, what each last ran, and its state (`idle`: that statement is done). */
export function sessions(name: string): Promise<{ pid: number; query: string; state: string }[]> {
  return withAdmin(
    async (c) =>
      (
        await c.query<{ pid: number; query: string; state: string }>(
          'SELECT pid, query, state FROM pg_stat_activity WHERE application_name = $1',
          [name],
        )
      ).rows,
  );
}

/** Runs one statement as the admin (e.g. a NOTIFY from "another process"); its rows. */
export function adminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return withAdmin(async (c) => (await c.query<R>(text, values)).rows);
}

/**
 * A new, empty database `<prefix>_<random>` on the shared server, for a test whose processes need
 * a database of their own (not a schema); returns its URL.
 */
export function createDatabase(prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  return withAdmin(async (c) => {
    await c.query(`CREATE DATABASE ${name}`);
    return PG_URL.replace(/\/[^/]*$/, `/${name}`);
  });
}
