/**
 * The secondary indexes of `messages` (issue 10, item 3; docs/decisions/0026): what each one costs
 * the write path and what each list/search/campaign/retention query costs without it, at N rows,
 * on SQLite (a scratch file under the temp dir) and PostgreSQL (a scratch schema in `test`, dropped
 * after). Bounded: a fixed number of rounds per step, and the whole run stops at BENCH_INDEX_MAX_S.
 *
 *   node bench/indexes.ts                              (N = 1,000,000, both stores)
 *   BENCH_INDEX_ROWS=100000 BENCH_INDEX_BACKENDS=sqlite node bench/indexes.ts
 *   BENCH_INDEX_STEPS=0016 node bench/indexes.ts        (only the recipient indexes before/after migration 0016)
 *
 * Steps per store: migrate to the latest schema; take the depth triggers (0013) and every
 * secondary index of `messages` off and fill N rows in set-based statements; add back the index set
 * of migration 0009 one index at a time, measuring the write path after each (insert, claim
 * queued→sending, complete sending→delivered: µs per message, 1000 a transaction, median of
 * ROUNDS): the difference is that index's cost. With that set: every query (ms, median of 5 after a
 * warm-up); then each candidate dropped alone (queries again) and re-created; then migration 0010
 * (writes, queries); then the depth triggers of 0013 (writes; queueDepth against COUNT(*), also
 * after one UPDATE turns ≈ 1M delivered messages into queued ones). Prints markdown tables.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { MIGRATIONS } from '../src/store/migrations/index.ts';
import { databaseForTests, openStore } from '../src/store/open-store.ts';
import type { Database } from '../src/store/schema.ts';
import type { Store } from '../src/store/store.ts';
import { PG_URL, createSchema, dropSchema } from './lib/pg.ts';
import { median, medianMs } from './lib/timing.ts';

const N = Number(process.env.BENCH_INDEX_ROWS ?? 1_000_000);
const BACKENDS = (process.env.BENCH_INDEX_BACKENDS ?? 'sqlite,postgres').split(',');
const ROUNDS = Number(process.env.BENCH_INDEX_ROUNDS ?? 7);
const MAX_MS = Number(process.env.BENCH_INDEX_MAX_S ?? 1500) * 1000;
const BATCH = 1000;
const DAY = 86_400_000;
const started = performance.now();
const T0 = Date.now() - 30 * DAY;
/** Creation times spread over 30 days. */
const STEP = Math.floor((30 * DAY) / N);

function checkTime(): void {
  if (performance.now() - started > MAX_MS) throw new Error(`bench/indexes: over BENCH_INDEX_MAX_S, stopping`);
}

type Db = Kysely<Database>;
const run = (db: Db, text: string) => sql.raw(text).execute(db);

/*
 * The generated rows, as SQL over an integer `i` (both dialects: `%`, `||`, CASE). Spread:
 * channel email 70 %, sms ≈ 30 %, webhook 0.1 %; provider ses / twilio, `smtp` 0.1 %; states by
 * i % 1000: queued 2 % (due tomorrow: never claimed here), sending 0.2 %, sent 3 %, failed 1 %,
 * bounced 0.1 %, cancelled 0.5 %, expired 0.1 %, delivered the rest, suppressed none; 30 % in 100
 * campaigns; 5 messages per recipient, but `hot@example.com` has 1 % of all (spread over the 30 days)
 * and `early@example.com` 0.5 % (all in the first 1 %: the oldest); unique ids on 2 %, idempotency keys on 5 %.
 * The write rounds' new rows address `new<n>@…` instead of `user<n>@…`, so that the prefix queries
 * ("user12": 4 %, none among the newest 70,000 rows) read the same rows however many writes ran before them.
 */
function columns(pg: boolean, t: string, mode: 'fill' | 'new'): Record<string, string> {
  const hex = (v: string, w: number) => (pg ? `lpad(to_hex(${v}), ${w}, '0')` : `printf('%0${w}x', ${v})`);
  const pad7 = (v: string) => (pg ? `lpad((${v})::text, 7, '0')` : `substr('0000000' || (${v}), -7)`);
  const channel = `CASE WHEN i % 1009 = 0 THEN 'webhook' WHEN i % 10 < 7 THEN 'email' ELSE 'sms' END`;
  const s = 'i % 1000';
  const state =
    mode === 'new'
      ? `'queued'`
      : `CASE WHEN ${s} < 20 THEN 'queued' WHEN ${s} < 22 THEN 'sending' WHEN ${s} < 52 THEN 'sent'
         WHEN ${s} < 62 THEN 'failed' WHEN ${s} < 63 THEN 'bounced' WHEN ${s} < 68 THEN 'cancelled'
         WHEN ${s} < 69 THEN 'expired' ELSE 'delivered' END`;
  const settled = mode === 'new' ? 'false' : `${s} >= 22 AND ${s} < 63 OR ${s} >= 69`;
  return {
    id: `${hex(`(${t}) / 65536`, 8)} || '-' || ${hex(`(${t}) % 65536`, 4)} || '-7${mode === 'new' ? 'f' : '0'}00-8000-' || ${hex('i', 12)}`,
    channel,
    provider: `CASE WHEN i % 1009 = 0 THEN NULL WHEN i % 997 = 1 THEN 'smtp' WHEN i % 10 < 7 THEN 'ses' ELSE 'twilio' END`,
    lane: channel,
    recipient: `CASE WHEN i % 1009 = 0 THEN 'https://hooks.example.com/h/' || (i % 10)
      WHEN i % 97 = 5 THEN 'hot@example.com'
      WHEN i < ${Math.floor(N / 100)} AND i % 2 = 0 THEN 'early@example.com'
      WHEN i % 10 < 7 THEN '${mode === 'new' ? 'new' : 'user'}' || (i % 200000) || '@mail' || (i % 1000) || '.example.com'
      ELSE '+7900' || ${pad7('i % 200000')} END`,
    subject: `CASE WHEN i % 10 < 7 THEN 'Order ' || i || ' shipped' END`,
    body_text: `'Your order ' || i || ' is on its way. Track it in your account.'`,
    priority: mode === 'new' ? '5' : '0',
    categories: '0',
    unique_id: `CASE WHEN i % 50 = 0 THEN 'u' || (i % 7) END`,
    idempotency_key: `CASE WHEN i % 20 = 0 THEN 'k${mode}' || i END`,
    campaign_id: `CASE WHEN i % 10 < 3 THEN 'camp-' || (i % 100) END`,
    contact_id: `CASE WHEN i % 10 < 3 THEN 'contact-' || i END`,
    state,
    attempts: mode === 'new' ? '0' : '1',
    max_attempts: '5',
    due_at: mode === 'new' ? `${t}` : `CASE WHEN ${s} < 20 THEN ${Date.now() + DAY} ELSE ${t} END`,
    not_after: `CASE WHEN i % 3 = 0 AND ${mode === 'new' ? 'true' : `${s} < 20`} THEN ${Date.now() + 2 * DAY} END`,
    lease_owner: mode === 'new' ? 'NULL' : `CASE WHEN ${s} >= 20 AND ${s} < 22 THEN 'w1' END`,
    lease_until: mode === 'new' ? 'NULL' : `CASE WHEN ${s} >= 20 AND ${s} < 22 THEN ${Date.now() + DAY} END`,
    provider_message_id: `CASE WHEN ${settled} THEN 'pm-' || i END`,
    engagement: '0',
    created_at: t,
    sent_at: `CASE WHEN ${settled} THEN (${t}) + 500 END`,
    delivered_at: mode === 'new' ? 'NULL' : `CASE WHEN ${s} >= 69 THEN (${t}) + 2000 END`,
    updated_at: t,
  };
}

/** INSERT … SELECT of rows `from` ≤ i < `to`, created at base + i·step. */
export function insertSql(
  pg: boolean,
  from: number,
  to: number,
  base: number,
  step: number,
  mode: 'fill' | 'new',
): string {
  const cols = columns(pg, `${base} + i * ${step}`, mode);
  const gen = pg
    ? `generate_series(${from}::bigint, ${to - 1}) AS g(i)`
    : `(WITH RECURSIVE g(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM g WHERE i < ${to - 1}) SELECT i FROM g)`;
  return `INSERT INTO messages (${Object.keys(cols).join(', ')}) SELECT ${Object.values(cols).join(', ')} FROM ${gen}`;
}

interface Backend {
  name: string;
  store: Store;
  db: Db;
  pg: boolean;
  /** SQLite: the database file. */
  file?: string;
  close(): Promise<void>;
}

async function open(name: string): Promise<Backend> {
  if (name === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'herald-indexes-'));
    const file = join(dir, 'b.db');
    const store = await openStore({ url: `sqlite:${file}` });
    await store.migrate();
    const close = async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { name, store, db: databaseForTests(store), pg: false, file, close };
  }
  const schema = await createSchema('indexes');
  const store = await openStore({ url: PG_URL, schema });
  await store.migrate();
  const close = async () => {
    await store.close();
    await dropSchema(schema);
  };
  return { name, store, db: databaseForTests(store), pg: true, close };
}

/** Every secondary index of `messages`: name → its CREATE statement, from the catalog. */
async function indexDefs(b: Backend): Promise<Map<string, string>> {
  const q = b.pg
    ? `SELECT indexname AS name, indexdef AS def FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = 'messages' AND indexname <> 'messages_pkey'`
    : `SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL`;
  const { rows } = await sql.raw<{ name: string; def: string }>(q).execute(b.db);
  return new Map(rows.map((r) => [r.name, r.def]));
}

const analyze = (b: Backend) => run(b.db, b.pg ? 'ANALYZE messages' : 'SELECT 1');

async function fill(b: Backend): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < N; i += 100_000) {
    checkTime();
    await run(b.db, insertSql(b.pg, i, Math.min(N, i + 100_000), T0, STEP, 'fill'));
  }
  return performance.now() - t;
}

let newRows = 0;
/** The write path, BATCH messages a transaction: µs per message (median of ROUNDS, after one warm-up). */
interface Writes {
  insert: number;
  claim: number;
  complete: number;
  /** SQLite: WAL bytes per message of the last round (pages written: no timing noise). */
  wal?: { insert: number; claim: number; complete: number };
}

/** SQLite: empties the WAL, so that its size after one transaction is what that transaction wrote. */
async function walMark(b: Backend): Promise<void> {
  if (b.file) await run(b.db, 'PRAGMA wal_checkpoint(TRUNCATE)');
}
const walSince = (b: Backend) => (b.file ? statSync(`${b.file}-wal`).size / BATCH : NaN);

async function writes(b: Backend, claimable: boolean): Promise<Writes> {
  const wal = { insert: NaN, claim: NaN, complete: NaN };
  const ins: number[] = [];
  const cl: number[] = [];
  const co: number[] = [];
  // PostgreSQL: start each configuration without the previous one's dead rows (autovacuum timing is noise).
  if (b.pg) await run(b.db, 'VACUUM messages');
  for (let r = 0; r <= ROUNDS; r++) {
    checkTime();
    const from = N + newRows;
    newRows += BATCH;
    const now = Date.now();
    const last = r === ROUNDS;
    if (last) await walMark(b);
    let t = performance.now();
    await b.db
      .transaction()
      .execute((tx) => run(tx, insertSql(b.pg, from, from + BATCH, now - from - BATCH, 1, 'new')));
    if (r > 0) ins.push(((performance.now() - t) * 1000) / BATCH);
    if (last) wal.insert = walSince(b);
    if (!claimable) {
      // Settle them so that the next configuration starts with no claimable backlog.
      await run(b.db, `UPDATE messages SET state = 'delivered' WHERE state = 'queued' AND priority = 5`);
      continue;
    }
    if (last) await walMark(b);
    t = performance.now();
    const claimed = await b.db.transaction().execute(async (tx) => {
      const hint = b.pg ? '' : 'INDEXED BY messages_claim';
      const lock = b.pg ? 'FOR UPDATE SKIP LOCKED' : '';
      const { rows } = await sql
        .raw<{ id: string }>(
          `
        WITH picked AS (SELECT id FROM messages ${hint} WHERE state = 'queued' AND due_at <= ${now}
          ORDER BY priority DESC, due_at LIMIT ${BATCH} ${lock})
        UPDATE messages SET state = 'sending', lease_owner = 'bench', lease_until = ${now + 60_000}, updated_at = ${now}
        WHERE id IN (SELECT id FROM picked) AND state = 'queued' RETURNING id`,
        )
        .execute(tx);
      return rows.map((x) => x.id);
    });
    if (r > 0) cl.push(((performance.now() - t) * 1000) / BATCH);
    if (last) wal.claim = walSince(b);
    if (claimed.length !== BATCH) throw new Error(`claimed ${claimed.length}, expected ${BATCH}`);
    if (last) await walMark(b);
    t = performance.now();
    const ids = b.pg ? sql`ANY(${claimed}::text[])` : sql`(SELECT value FROM json_each(${JSON.stringify(claimed)}))`;
    await b.db.transaction().execute((tx) =>
      sql`UPDATE messages SET state = 'delivered', reason = NULL, lease_owner = NULL, lease_until = NULL,
          updated_at = ${now}, attempts = attempts + 1, provider = COALESCE(NULL, provider),
          provider_message_id = 'pm-' || id, sent_at = ${now}, delivered_at = ${now}
        WHERE id ${b.pg ? sql`=` : sql`IN`} ${ids} AND state = 'sending' AND lease_owner = 'bench'`.execute(tx),
    );
    if (r > 0) co.push(((performance.now() - t) * 1000) / BATCH);
    if (last) wal.complete = walSince(b);
  }
  return {
    insert: median(ins),
    claim: claimable ? median(cl) : NaN,
    complete: claimable ? median(co) : NaN,
    ...(b.file ? { wal } : {}),
  };
}

/** The queries that might lean on a secondary index of `messages`: name → one call. */
function queries(s: Store): [string, () => Promise<unknown>][] {
  const hour = Date.now() - 60 * 60_000;
  const l = (f: Parameters<Store['messages']['list']>[0]) => () => s.messages.list(f, 50);
  const mid = Math.floor(N / 2);
  const camps = Array.from({ length: 20 }, (_, k) => `camp-${k}`);
  return [
    ['list: no filter', l({})],
    ['list: state delivered (93 %)', l({ state: 'delivered' })],
    ['list: state queued (2 %)', l({ state: 'queued' })],
    ['list: state sending (0.2 %)', l({ state: 'sending' })],
    ['list: state sent (3 %)', l({ state: 'sent' })],
    ['list: state failed (1 %)', l({ state: 'failed' })],
    ['list: state bounced (0.1 %)', l({ state: 'bounced' })],
    ['list: state suppressed (none)', l({ state: 'suppressed' })],
    ['list: channel email (70 %)', l({ channel: 'email' })],
    ['list: channel webhook (0.1 %)', l({ channel: 'webhook' })],
    ['list: provider twilio (30 %)', l({ provider: 'twilio' })],
    ['list: provider smtp (0.1 %)', l({ provider: 'smtp' })],
    ['list: provider absent', l({ provider: 'nobody' })],
    ['list: state failed + channel sms', l({ state: 'failed', channel: 'sms' })],
    ['list: recipient (exact)', l({ recipient: `user${mid % 200000}@mail${mid % 1000}.example.com` })],
    ['list: recipient hot (1 %, spread)', l({ recipient: 'hot@example.com' })],
    ['list: recipient early (0.5 %, oldest)', l({ recipient: 'early@example.com' })],
    ['list: recipient Hot@Example.com (none: case)', l({ recipient: 'Hot@Example.com' })],
    ['list: recipient absent', l({ recipient: 'nobody@example.com' })],
    ['list: recipient webhook (≈ 100)', l({ recipient: 'https://hooks.example.com/h/3' })],
    [
      'list: recipient hot, 20 pages (total)',
      async () => {
        let cursor: string | undefined;
        for (let p = 0; p < 20; p++)
          cursor = (await s.messages.list({ recipient: 'hot@example.com' }, 50, cursor)).nextCursor ?? undefined;
      },
    ],
    ['list: recipientPrefix "user12"', l({ recipientPrefix: 'user12' })],
    // Common among the newest rows, rare (≈ 550), and all in the oldest 1 % (decision 0045).
    ['list: recipientPrefix "user" (70 %)', l({ recipientPrefix: 'user' })],
    ['list: recipientPrefix "user1234" (rare)', l({ recipientPrefix: 'user1234' })],
    ['list: recipientPrefix "early" (0.5 %, oldest)', l({ recipientPrefix: 'early' })],
    [
      'list: recipientPrefix "user12", since..until 10 days',
      l({ recipientPrefix: 'user12', since: Date.now() - 20 * DAY, until: Date.now() - 10 * DAY }),
    ],
    ['list: recipientContains "mail7.ex"', l({ recipientContains: 'mail7.ex' })],
    ['list: providerMessageId', l({ providerMessageId: `pm-${mid + 100}` })],
    ['list: campaignId (3,000)', l({ campaignId: 'camp-7' })],
    ['list: since last hour (none)', l({ since: hour })],
    ['list: since..until one day, 10 days ago', l({ since: Date.now() - 10 * DAY, until: Date.now() - 9 * DAY })],
    ['list: state failed, since 1 day', l({ state: 'failed', since: Date.now() - DAY })],
    ['campaigns.countByState (20 campaigns)', () => s.campaigns.countByState(camps)],
    ['campaigns.pendingCount', () => s.campaigns.pendingCount('camp-7')],
    ['campaigns.messages (page)', () => s.campaigns.messages('camp-7', 50)],
    ['campaigns.queuedPage', () => s.campaigns.queuedPage('camp-7', null, 500)],
    ['recipients.lastByUniqueId', () => s.recipients.lastByUniqueId(`user${100}@mail${100}.example.com`, 'u2')],
    ['messages.findByProviderMessageId', () => s.messages.findByProviderMessageId(`pm-${mid + 100}`)],
    // The lease reaper with every lease still running: the walk over the messages being sent (0015).
    ['messages.reapLeases (none expired)', () => s.messages.reapLeases(Date.now())],
    ['bulk.count state failed', () => s.bulk.count({ state: 'failed' }, ['failed'], 'ffffffff')],
    [
      'queue depth as COUNT(*) per open state (before 0013)',
      () =>
        Promise.all(
          ['queued', 'sending', 'sent'].map((st) =>
            sql`SELECT count(*) FROM messages WHERE state = ${st}`.execute(databaseForTests(s)),
          ),
        ),
    ],
    ['retention.purgeBatch (500 oldest)', () => s.retention.purgeBatch({ before: T0 + DAY, limit: 500 })],
    [
      'erasure.eraseMessages (one person)',
      () =>
        s.erasure.eraseMessages(
          { key: 'x', hash: 'h', forms: [`user${mid % 200000}@mail${mid % 1000}.example.com`] },
          'ffffffff',
          500,
        ),
    ],
  ];
}

async function timeQueries(s: Store): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [name, fn] of queries(s)) {
    checkTime();
    out.set(name, await medianMs(fn));
  }
  return out;
}

/** Indexes a query could do without: each measured dropped alone. */
const CANDIDATES = ['messages_state', 'messages_channel', 'messages_provider', 'messages_campaign', 'messages_unique'];
/** Added first (the claim needs it), then the rest in catalog order. */
const FIRST = 'messages_claim';

interface Result {
  fillS: number;
  writes: [string, Writes][];
  queryCols: string[];
  queries: Map<string, number>[];
  depth: [string, number][];
}

/** Triggers on `messages` (migration 0013's depth counters): name → CREATE statement. */
async function triggerDefs(b: Backend): Promise<Map<string, string>> {
  const q = b.pg
    ? `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger
       WHERE tgrelid = 'messages'::regclass AND NOT tgisinternal`
    : `SELECT name, sql AS def FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'`;
  const { rows } = await sql.raw<{ name: string; def: string }>(q).execute(b.db);
  return new Map(rows.map((r) => [r.name, r.def]));
}

/** The index migration 0010 replaced, as 0001 created it. */
const OLD_STATE_INDEX = 'CREATE INDEX messages_state ON messages (state, id)';

async function bench(name: string): Promise<Result> {
  const b = await open(name);
  try {
    // The store opens at the latest schema: take its triggers and indexes off, fill, then rebuild
    // the index set of 0009 (with messages_state) one index at a time.
    const triggers = await triggerDefs(b);
    for (const n of triggers.keys()) await run(b.db, `DROP TRIGGER ${n}${b.pg ? ' ON messages' : ''}`);
    const shipped = await indexDefs(b);
    for (const n of shipped.keys()) await run(b.db, `DROP INDEX ${n}`);
    const defs = new Map(shipped);
    defs.delete('messages_state_listed');
    defs.set('messages_state', OLD_STATE_INDEX);
    // The recipient indexes as 0009 left them (migration 0016 changed them: BENCH_INDEX_STEPS=0016).
    defs.set('messages_recipient', 'CREATE INDEX messages_recipient ON messages (recipient, id)');
    if (b.pg)
      defs.set(
        'messages_recipient_lower',
        'CREATE INDEX messages_recipient_lower ON messages (lower(recipient) text_pattern_ops)',
      );
    const fillS = (await fill(b)) / 1000;
    await analyze(b);
    const res: Result = { fillS, writes: [], queryCols: [], queries: [], depth: [] };
    res.writes.push(['(primary key only)', await writes(b, false)]);
    const order = [FIRST, ...[...defs.keys()].filter((n) => n !== FIRST)];
    for (const n of order) {
      await run(b.db, defs.get(n)!);
      await analyze(b);
      res.writes.push([`+ ${n}`, await writes(b, true)]);
    }
    res.queryCols.push('0009 set');
    res.queries.push(await timeQueries(b.store));
    for (const n of CANDIDATES.filter((c) => defs.has(c))) {
      await run(b.db, `DROP INDEX ${n}`);
      await analyze(b);
      res.queryCols.push(`− ${n.replace('messages_', '')}`);
      res.queries.push(await timeQueries(b.store));
      await run(b.db, defs.get(n)!);
    }
    const m0010 = MIGRATIONS.find((m) => m.version === 10)!;
    // One statement at a time: a prepared SQLite statement runs only its first.
    for (const st of (b.pg ? m0010.postgres : m0010.sqlite).split(';').filter((x) => x.trim())) await run(b.db, st);
    await analyze(b);
    res.writes.push(['after 0010 (− state, + state_listed)', await writes(b, true)]);
    res.queryCols.push('after 0010');
    res.queries.push(await timeQueries(b.store));
    await depthSteps(b, triggers, res);
    return res;
  } finally {
    await b.close();
  }
}

/** The recipient indexes before migration 0016 (as 0001 and 0009 made them). */
const BEFORE_0016 = {
  sqlite: ['CREATE INDEX messages_recipient ON messages (recipient, id)'],
  postgres: [
    'DROP STATISTICS IF EXISTS messages_recipient_lower_dep',
    'DROP INDEX messages_recipient_lower',
    'CREATE INDEX messages_recipient_lower ON messages (lower(recipient) text_pattern_ops)',
    'CREATE INDEX messages_recipient ON messages (recipient, id)',
  ],
};

/*
 * BENCH_INDEX_STEPS=0016: the shipped index set (no depth triggers) with the recipient indexes
 * as before migration 0016, writes and queries; then 0016's script, writes and queries again.
 */
async function bench0016(name: string): Promise<Result> {
  const b = await open(name);
  try {
    for (const n of (await triggerDefs(b)).keys()) await run(b.db, `DROP TRIGGER ${n}${b.pg ? ' ON messages' : ''}`);
    const shipped = await indexDefs(b);
    for (const n of shipped.keys()) await run(b.db, `DROP INDEX ${n}`);
    const fillS = (await fill(b)) / 1000;
    for (const def of shipped.values()) await run(b.db, def);
    for (const st of BEFORE_0016[b.pg ? 'postgres' : 'sqlite']) await run(b.db, st);
    await analyze(b);
    const res: Result = { fillS, writes: [], queryCols: [], queries: [], depth: [] };
    res.writes.push(['before 0016', await writes(b, true)]);
    res.queryCols.push('before 0016');
    res.queries.push(await timeQueries(b.store));
    const m0016 = MIGRATIONS.find((m) => m.version === 16)!;
    // PostgreSQL: one script (its DO block holds semicolons); SQLite: one statement at a time.
    if (b.pg) await run(b.db, m0016.postgres);
    else for (const st of m0016.sqlite.split(';').filter((x) => x.trim())) await run(b.db, st);
    await analyze(b);
    res.writes.push(['after 0016', await writes(b, true)]);
    res.queryCols.push('after 0016');
    res.queries.push(await timeQueries(b.store));
    return res;
  } finally {
    await b.close();
  }
}

/*
 * The depth counters (migration 0013): the triggers back on, counters re-initialised from COUNT(*),
 * the write path again; then a backlog of every delivered message turned queued in one statement
 * (the statement trigger's worst case), and queueDepth from the counters against a COUNT(*).
 */
async function depthSteps(b: Backend, triggers: Map<string, string>, res: Result): Promise<void> {
  if (triggers.size === 0) return;
  for (const def of triggers.values()) await run(b.db, def);
  await run(b.db, 'DELETE FROM message_depth');
  await run(
    b.db,
    `INSERT INTO message_depth (state, slot, n) SELECT state, 0, count(*) FROM messages
     WHERE state IN ('queued', 'sending', 'sent') GROUP BY state`,
  );
  res.writes.push(['+ depth triggers (0013)', await writes(b, true)]);
  const count = () =>
    sql`SELECT state, count(*) FROM messages WHERE state IN ('queued', 'sending', 'sent') GROUP BY state`.execute(b.db);
  res.depth.push(['queueDepth (counters), fill backlog', await medianMs(() => b.store.stats.queueDepth())]);
  res.depth.push(['COUNT(*) of open states, fill backlog', await medianMs(count)]);
  const t = performance.now();
  const r = await sql`UPDATE messages SET state = 'queued' WHERE state = 'delivered'`.execute(b.db);
  res.depth.push([
    `one UPDATE of ${Number(r.numAffectedRows)} rows delivered → queued (with triggers), ms`,
    performance.now() - t,
  ]);
  await analyze(b);
  res.depth.push(['queueDepth (counters), after that UPDATE', await medianMs(() => b.store.stats.queueDepth())]);
  res.depth.push(['COUNT(*) of open states, after that UPDATE', await medianMs(count)]);
  const depth = await b.store.stats.queueDepth();
  const { rows } = await sql<{ n: number }>`SELECT count(*) AS n FROM messages WHERE state = 'queued'`.execute(b.db);
  if (depth.queued !== Number(rows[0]!.n)) throw new Error(`depth ${depth.queued} ≠ COUNT ${rows[0]!.n}`);
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return '—';
  return x < 10 ? x.toFixed(1) : String(Math.round(x));
}

if (import.meta.main) await main();

async function main(): Promise<void> {
  const results = new Map<string, Result>();
  const steps = process.env.BENCH_INDEX_STEPS === '0016' ? bench0016 : bench;
  for (const name of BACKENDS) results.set(name, await steps(name));
  console.log(
    `\nN = ${N.toLocaleString('en')} messages; ${ROUNDS} rounds of ${BATCH}; took ${Math.round((performance.now() - started) / 1000)} s\n`,
  );
  for (const [name, r] of results) {
    console.log(`### ${name}: fill ${r.fillS.toFixed(1)} s\n`);
    const walCols = r.writes.some(([, w]) => w.wal);
    console.log(
      `| indexes on messages | insert µs/msg | Δ | claim µs/msg | Δ | complete µs/msg | Δ |${walCols ? ' WAL B/msg insert | claim | complete |' : ''}`,
    );
    console.log(`|---|---:|---:|---:|---:|---:|---:|${walCols ? '---:|---:|---:|' : ''}`);
    let prev: Writes | undefined;
    for (const [label, w] of r.writes) {
      const d = (k: 'insert' | 'claim' | 'complete') => (prev ? fmt(w[k] - prev[k]) : '');
      const walText = w.wal ? ` ${fmt(w.wal.insert)} | ${fmt(w.wal.claim)} | ${fmt(w.wal.complete)} |` : '';
      console.log(
        `| ${label} | ${fmt(w.insert)} | ${d('insert')} | ${fmt(w.claim)} | ${d('claim')} | ${fmt(w.complete)} | ${d('complete')} |${walText}`,
      );
      prev = w;
    }
    console.log(`\n| query (ms, median of 5) | ${r.queryCols.join(' | ')} |`);
    console.log(`|---|${r.queryCols.map(() => '---:').join('|')}|`);
    for (const q of r.queries[0]!.keys()) console.log(`| ${q} | ${r.queries.map((m) => fmt(m.get(q)!)).join(' | ')} |`);
    console.log('\n| queue depth (ms, median of 5) | |\n|---|---:|');
    for (const [label, ms] of r.depth) console.log(`| ${label} | ${fmt(ms)} |`);
    console.log('');
  }
}
