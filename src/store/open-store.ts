import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CAPABILITIES, type Dialect } from './capabilities.ts';
import { KyselyApiKeyRepo } from './api-keys.repo.ts';
import { KyselyAuditRepo } from './audit.repo.ts';
import { StatsRepo } from './stats.repo.ts';
import { KyselyProviderStatsRepo } from './provider-stats.repo.ts';
import { KyselyCampaignRepo } from './campaigns.repo.ts';
import { KyselyContactRepo } from './contacts.repo.ts';
import { KyselyMessageRepo } from './messages.repo.ts';
import { KyselyTemplateRepo } from './templates.repo.ts';
import { KyselySettingsRepo } from './settings.repo.ts';
import { KyselySuppressionRepo } from './suppressions.repo.ts';
import { KyselyPreferenceRepo } from './preferences.repo.ts';
import { migratePostgres, migrateSqlite, postgresMigrationStatus, sqliteMigrationStatus } from './migrator.ts';
import { openSqlite, wrapNodeSqlite } from './node-sqlite-driver.ts';
import type { Database } from './schema.ts';
import type { MigrationStatus, Store } from './store.ts';

export interface StoreOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, or `postgres://…`. */
  url: string;
  /** PostgreSQL only: the schema to use (created if missing), e.g. one per test. */
  schema?: string | undefined;
  /** PostgreSQL pool size. */
  poolSize?: number | undefined;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${JSON.stringify(url.split(':')[0])})`);
}

function buildStore(
  dialect: Dialect,
  db: Kysely<Database>,
  ops: { migrate(): Promise<MigrationStatus>; status(): Promise<MigrationStatus>; close(): Promise<void> },
): Store {
  const caps = CAPABILITIES[dialect];
  const store: Store = {
    dialect,
    caps,
    db,
    messages: new KyselyMessageRepo(db, caps),
    apiKeys: new KyselyApiKeyRepo(db),
    contacts: new KyselyContactRepo(db, caps),
    campaigns: new KyselyCampaignRepo(db, caps),
    audit: new KyselyAuditRepo(db),
    stats: new StatsRepo(db, caps),
    providerStats: new KyselyProviderStatsRepo(db),
    templates: new KyselyTemplateRepo(db),
    settings: new KyselySettingsRepo(db),
    suppressions: new KyselySuppressionRepo(db),
    preferences: new KyselyPreferenceRepo(db),
    migrate: () => ops.migrate(),
    migrationStatus: () => ops.status(),
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    transaction: (fn) =>
      db.isTransaction ? fn(store) : db.transaction().execute((trx) => fn(buildStore(dialect, trx, ops))),
    close: () => ops.close(),
  };
  return store;
}

/** Opens the store named by the URL. Does not migrate: call `store.migrate()`. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const dialect = dialectOf(opts.url);
  const now = () => Date.now();
  if (dialect === 'sqlite') {
    const path = opts.url.slice('sqlite:'.length) || './data/herald.db';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const raw = openSqlite(path);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: wrapNodeSqlite(raw) }) });
    return buildStore('sqlite', db, {
      migrate: async () => migrateSqlite(raw, now),
      status: async () => sqliteMigrationStatus(raw),
      close: () => db.destroy(),
    });
  }
  const pool = await openPostgresPool(opts);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = buildStore('postgres', db, {
    migrate: () => migratePostgres(pool, now),
    status: () => postgresMigrationStatus(pool),
    close: () => db.destroy(),
  });
  return { ...store, listen: (onWake) => listenPostgres(opts, onWake) };
}

export const WAKE_CHANNEL = 'herald_messages';

/** LISTEN on a dedicated connection; reconnects after a second when the connection drops. */
async function listenPostgres(opts: StoreOptions, onWake: () => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  const connect = async (): Promise<void> => {
    if (stopped) return;
    const c = new pg.Client({
      connectionString: opts.url,
      options: opts.schema ? `-c search_path=${opts.schema}` : undefined,
    });
    c.on('notification', () => onWake());
    c.on('error', () => {
      client = null;
      if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${WAKE_CHANNEL}`);
    client = c;
  };
  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => undefined);
  };
}

/** int8 and numeric come back as JS numbers: our bigints are epoch milliseconds and counts. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

async function openPostgresPool(opts: StoreOptions): Promise<pg.Pool> {
  const options = opts.schema ? `-c search_path=${opts.schema}` : undefined;
  if (opts.schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`bad schema name ${opts.schema}`);
    const admin = new pg.Client({ connectionString: opts.url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10, options, types: pgTypes });
  // An idle client's error (the server restarted) must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
