/**
 * Fresh PostgreSQL schemas for the benchmark (the shared server's `test` database; never a restart,
 * never another session's connections). Herald takes the schema through its DATABASE_URL
 * (`?options=-c search_path=…`), as a user would run it against a schema of their own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.HERALD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates `bench_<what>_<random>` and answers its name. */
export async function createSchema(what: string): Promise<string> {
  const name = `bench_${what}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${name}`));
  return name;
}

export async function dropSchema(name: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(name)) throw new Error(`not a bench schema: ${name}`);
  await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`));
}

/** The DATABASE_URL that puts Herald's tables in `schema`. */
export function urlWithSchema(schema: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function serverVersion(): Promise<string> {
  return admin(async (c) =>
    String((await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?'),
  );
}
