import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CAPABILITIES, type Capabilities, type Dialect } from './capabilities.ts';
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
import { KyselyOutboxRepo } from './outbox.repo.ts';
import { KyselyRecipientRepo } from './recipients.repo.ts';
import { ScreeningRepo } from './screening.repo.ts';
import { KyselyMessageBulkRepo } from './message-bulk.repo.ts';
import { KyselyRetentionRepo } from './retention.repo.ts';
import { KyselyErasureRepo } from './erasure.repo.ts';
import { KyselyEndpointRepo } from './endpoints.repo.ts';
import { KyselyEventDeliveryRepo } from './event-deliveries.repo.ts';
import { migratePostgres, migrateSqlite, postgresMigrationStatus, sqliteMigrationStatus } from './migrator.ts';
import { openSqlite, wrapNodeSqlite } from './node-sqlite-driver.ts';
import { SqliteThread } from './sqlite-thread/client.ts';
import { ThreadDialect } from './sqlite-thread/driver.ts';
import { FaultLog } from './faults.ts';
import { guardDialect } from './guarded-dialect.ts';
import { checkWritable } from './health.ts';
import { listenForWakeups } from './listen.ts';
import { PG_PREPARED } from './postgres-writes.ts';
import type { Database } from './schema.ts';
import type { MigrationStatus, Store } from './store.ts';

export interface StoreOptions {
  /** `sqlite:<path>`, `sqlite::memory:`, or `postgres://…`. */
  url: string;
  /** PostgreSQL only: the schema to use (created if missing), e.g. one per test. */
  schema?: string | undefined;
  /** PostgreSQL pool size (default DEFAULT_POOL_SIZE); a quarter of it is each group-commit pipeline's depth. */
  poolSize?: number | undefined;
  /** PostgreSQL `application_name` of every connection (default `herald`, or `herald:<schema>`). */
  applicationName?: string | undefined;
  /** Connection errors the store recovers from by itself (a dropped connection, a server restart): for the log. */
  onConnectionError?: ((err: Error) => void) | undefined;
  /** SQLite file only: WAL pages after which a commit checkpoints (default WAL_AUTOCHECKPOINT_PAGES; tests use fewer). */
  walAutocheckpoint?: number | undefined;
}

/** PostgreSQL connections per process: two commit pipelines of 5, claims, API reads, the scheduler, statistics. */
export const DEFAULT_POOL_SIZE = 20;

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got ${JSON.stringify(url.split(':')[0])})`);
}

interface StoreOps {
  migrate(): Promise<MigrationStatus>;
  status(): Promise<MigrationStatus>;
  close(): Promise<void>;
  faults: FaultLog;
  /** SQLite: the database file, whose disk's free space readiness checks. */
  file?: string | undefined;
}

/**
 * The Kysely instance behind each store (and each transaction's store). Not part of the Store
 * port: only tests reach it, through databaseForTests (eslint keeps it out of src/).
 */
const handles = new WeakMap<Store, Kysely<Database>>();

/** Tests only: the database handle behind a store, to seed or inspect rows no repository exposes. */
export function databaseForTests(store: Store): Kysely<Database> {
  const db = handles.get(store);
  if (!db) throw new Error('not a store opened by openStore');
  return db;
}

function buildStore(
  dialect: Dialect,
  db: Kysely<Database>,
  ops: StoreOps,
  caps: Capabilities = CAPABILITIES[dialect],
): Store {
  const store: Store = {
    dialect,
    caps,
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
    screening: new ScreeningRepo(db),
    outbox: new KyselyOutboxRepo(db),
    recipients: new KyselyRecipientRepo(db),
    bulk: new KyselyMessageBulkRepo(db, caps),
    retention: new KyselyRetentionRepo(db, caps),
    erasure: new KyselyErasureRepo(db, caps),
    endpoints: new KyselyEndpointRepo(db),
    eventDeliveries: new KyselyEventDeliveryRepo(db, caps),
    migrate: () => ops.migrate(),
    migrationStatus: () => ops.status(),
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    writable: () => checkWritable(db, ops.faults, ops.file),
    transaction: (fn) =>
      db.isTransaction ? fn(store) : db.transaction().execute((trx) => fn(buildStore(dialect, trx, ops, caps))),
    close: () => ops.close(),
  };
  handles.set(store, db);
  return store;
}

/** Opens the store named by the URL. Does not migrate: call `store.migrate()`. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const dialect = dialectOf(opts.url);
  const now = () => Date.now();
  if (dialect === 'sqlite') {
    const path = opts.url.slice('sqlite:'.length) || './data/herald.db';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const faults = new FaultLog();
    if (path === ':memory:') {
      // In memory (tests, trying Herald out): nothing to fsync, and the database cannot outlive its
      // one connection, so it stays on the event loop, where statements complete synchronously.
      const raw = openSqlite(path);
      const db = new Kysely<Database>({
        dialect: guardDialect(new SqliteDialect({ database: wrapNodeSqlite(raw) }), faults),
      });
      return buildStore('sqlite', db, {
        migrate: async () => migrateSqlite(raw, now),
        status: async () => sqliteMigrationStatus(raw),
        close: () => db.destroy(),
        faults,
      });
    }
    // A database file lives on a thread of its own (docs/decisions/0022): the event loop posts and awaits.
    const writer = await SqliteThread.start({ path, walAutocheckpoint: opts.walAutocheckpoint });
    const threads = new ThreadDialect(writer);
    const db = new Kysely<Database>({ dialect: guardDialect(threads, faults) });
    return buildStore('sqlite', db, {
      migrate: () => threads.driver.exclusive(() => writer.call({ op: 'migrate', now: now() })),
      status: () => threads.driver.exclusive(() => writer.call({ op: 'status' })),
      close: () => db.destroy(),
      faults,
      file: path,
    });
  }
  const client = postgresClientConfig(opts);
  const pool = await openPostgresPool(opts, client);
  const faults = new FaultLog();
  const db = new Kysely<Database>({ dialect: guardDialect(new PostgresDialect({ pool }), faults) });
  const store = buildStore(
    'postgres',
    db,
    {
      migrate: () => migratePostgres(pool, now),
      status: () => postgresMigrationStatus(pool),
      close: () => db.destroy(),
      faults,
    },
    // Pipelined group commits (docs/decisions/0022): each pipeline takes up to a quarter of the pool.
    { ...CAPABILITIES.postgres, commitsInFlight: Math.max(1, Math.floor((opts.poolSize ?? DEFAULT_POOL_SIZE) / 4)) },
  );
  const withListen: Store = {
    ...store,
    listen: (onWake) => listenForWakeups({ client, onWake, onError: opts.onConnectionError }),
  };
  handles.set(withListen, db);
  return withListen;
}

/** What every PostgreSQL connection of this store is opened with. */
function postgresClientConfig(opts: StoreOptions): pg.ClientConfig {
  return {
    connectionString: opts.url,
    options: opts.schema ? `-c search_path=${opts.schema}` : undefined,
    application_name: opts.applicationName ?? (opts.schema ? `herald:${opts.schema}` : 'herald'),
    // Find a connection whose server went away without a word (a partition) instead of waiting on it forever.
    keepAlive: true,
    // An unreachable server fails the request (503) instead of holding it; also bounds the wait for a free client.
    connectionTimeoutMillis: 10_000,
  };
}

/** int8 and numeric come back as JS numbers: our bigints are epoch milliseconds and counts. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/*
 * A pg client that runs the hot constant statements of PG_PREPARED (message-writes.ts) as named
 * prepared statements: parsed and planned once per connection, then only bound and executed. The
 * rest of Herald (Kysely) sends text as before; pg keeps the names per connection, so a new
 * connection (after a drop) prepares them again by itself.
 */
class PreparingClient extends pg.Client {
  override query(...args: unknown[]): never {
    const [text, values, ...rest] = args;
    const name = typeof text === 'string' ? PG_PREPARED.get(text) : undefined;
    const call = super.query.bind(this) as (...a: unknown[]) => never;
    return name && Array.isArray(values) ? call({ name, text, values }, ...rest) : call(...args);
  }
}

async function openPostgresPool(opts: StoreOptions, client: pg.ClientConfig): Promise<pg.Pool> {
  const report = (err: Error) => opts.onConnectionError?.(err);
  if (opts.schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`bad schema name ${opts.schema}`);
    const admin = new pg.Client({ ...client, options: undefined });
    admin.on('error', report);
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    ...client,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    types: pgTypes,
    Client: PreparingClient,
  });
  // A client's 'error' event without a listener kills the process. pg-pool listens only while a
  // client is idle in the pool (pool 'error'); a checked-out client (an open transaction, the
  // scheduler's leader lock) has no listener of its own. Every client gets one for its whole life;
  // the query in progress fails by itself, and pg-pool drops the broken client on release.
  pool.on('connect', (c) => c.on('error', report));
  pool.on('error', () => undefined); // an idle client's error: already reported by its own listener
  return pool;
}
