import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import { FaultLog, faultKind, isStoreUnavailable } from '../faults.ts';
import { guardDialect } from '../guarded-dialect.ts';
import { SqliteThread } from './client.ts';
import { ThreadDialect } from './driver.ts';

const dir = mkdtempSync(join(tmpdir(), 'herald-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A Kysely on a SQLite thread, as open-store.ts builds it. */
async function open(path = join(dir, `t${++n}.db`)) {
  const writer = await SqliteThread.start({ path });
  const faults = new FaultLog();
  const dialect = new ThreadDialect(writer);
  const db = new Kysely<Record<string, Record<string, unknown>>>({ dialect: guardDialect(dialect, faults) });
  await sql`CREATE TABLE IF NOT EXISTS t (id integer PRIMARY KEY, v text NOT NULL)`.execute(db);
  return { db, writer, dialect, faults };
}

/** A statement that keeps the thread busy for a while. */
const SLOW = sql`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) SELECT count(*) FROM c`;

/** Kills the thread while `calls` wait on it, as a crash would. */
async function killDuring<T>(writer: SqliteThread, calls: Promise<T>[]) {
  await new Promise((r) => setTimeout(r, 50));
  await writer.terminate();
  return Promise.allSettled(calls);
}

describe('the SQLite thread', () => {
  test('returns rows and change counts; booleans and undefined bind as 1 and NULL', async () => {
    const { db } = await open();
    const r = await sql`INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b')`.execute(db);
    assert.equal(r.numAffectedRows, 2n);
    const rows = await sql<{ a: number; b: null }>`SELECT ${true} AS a, ${undefined} AS b`.execute(db);
    assert.deepEqual(rows.rows, [{ a: 1, b: null }]);
    assert.deepEqual(
      (await db.selectFrom('t').select('v').orderBy('id').execute()).map((x) => x.v),
      ['a', 'b'],
    );
    await db.destroy();
  });

  test('rows cross as arrays and arrive as objects: columns by name, after a schema change too', async () => {
    const { db, writer } = await open();
    await sql`INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b')`.execute(db);
    const selectAll = sql<Record<string, unknown>>`SELECT * FROM t ORDER BY id`;
    assert.deepEqual((await selectAll.execute(db)).rows, [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ]);
    // What the thread posts: arrays of values with the column names beside them.
    const raw = await writer.call<{ rows: unknown[]; columns?: string[] }>({
      op: 'query',
      sql: 'SELECT id, v FROM t ORDER BY id',
      params: [],
    });
    assert.deepEqual(raw, {
      rows: [
        [1, 'a'],
        [2, 'b'],
      ],
      columns: ['id', 'v'],
    });
    // The cached SELECT * sees a column added since.
    await sql`ALTER TABLE t ADD COLUMN w text`.execute(db);
    assert.deepEqual((await selectAll.execute(db)).rows[0], { id: 1, v: 'a', w: null });
    // Duplicate names keep the last value (as node:sqlite's objects do); __proto__ is a plain column.
    const odd = await sql<Record<string, unknown>>`SELECT 1 AS x, 2 AS x, 3 AS "__proto__"`.execute(db);
    assert.equal(odd.rows[0]!.x, 2);
    assert.equal(Object.getPrototypeOf(odd.rows[0]), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(odd.rows[0], '__proto__')?.value, 3);
    await db.destroy();
  });

  test('keeps node:sqlite error codes across the thread', async () => {
    const { db } = await open();
    const err = await sql`INSERT INTO t (id, v) VALUES (1, NULL)`.execute(db).then(
      () => assert.fail('accepted a NULL'),
      (e: unknown) => e as Error & { code?: string; errcode?: number },
    );
    assert.equal(err.code, 'ERR_SQLITE_ERROR');
    assert.equal(err.errcode, 1299, 'SQLITE_CONSTRAINT_NOTNULL');
    assert.match(err.message, /NOT NULL/);
    assert.equal(faultKind(err), undefined, 'a constraint is the request’s fault, not the database’s');
    await db.destroy();
  });

  test('a transaction commits or rolls back as a whole; transactions never interleave', async () => {
    const { db } = await open();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t (id, v) VALUES (10, 'x')`.execute(trx);
        await sql`INSERT INTO t (id, v) VALUES (10, 'dup')`.execute(trx);
      }),
      /UNIQUE/,
    );
    assert.equal((await db.selectFrom('t').selectAll().execute()).length, 0);
    // Read-modify-write in 20 concurrent transactions, each yielding between read and write.
    await sql`INSERT INTO t (id, v) VALUES (1, '0')`.execute(db);
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction().execute(async (trx) => {
          const { v } = await trx.selectFrom('t').select('v').where('id', '=', 1).executeTakeFirstOrThrow();
          await new Promise((r) => setImmediate(r));
          await trx
            .updateTable('t')
            .set({ v: String(Number(v) + 1) })
            .where('id', '=', 1)
            .execute();
        }),
      ),
    );
    const { v } = await db.selectFrom('t').select('v').where('id', '=', 1).executeTakeFirstOrThrow();
    assert.equal(v, '20');
    await db.destroy();
  });

  test('runs a batch in one transaction: all or nothing', async () => {
    const { db, dialect } = await open();
    const ins = (id: number) => ({ sql: 'INSERT INTO t (id, v) VALUES (?, ?)', params: [id, `v${id}`] });
    const out = await dialect.driver.batch([ins(1), ins(2), { sql: 'SELECT count(*) AS n FROM t', params: [] }]);
    assert.deepEqual(out[2]!.rows, [{ n: 2 }]);
    await assert.rejects(dialect.driver.batch([ins(3), ins(1)]), /UNIQUE/);
    assert.equal((await db.selectFrom('t').selectAll().execute()).length, 2, 'the failed batch left nothing');
    await db.destroy();
  });

  test('sqlite::memory: keeps its data across statements and transactions on its one thread', async () => {
    const { db } = await open(':memory:');
    await db.transaction().execute((trx) => sql`INSERT INTO t (id, v) VALUES (1, 'm')`.execute(trx));
    assert.equal((await db.selectFrom('t').select('v').executeTakeFirstOrThrow()).v, 'm');
    await db.destroy();
  });

  test('a thread that dies fails every waiting call; a file store starts a fresh thread, a memory store stays failed', async () => {
    const file = await open();
    await sql`INSERT INTO t (id, v) VALUES (1, 'kept')`.execute(file.db);
    // All posted to the thread before it dies (a call still waiting for the connection would go to
    // the next thread). A statement running when it dies may still finish (a native call is not
    // interrupted); every call settles, and what was still waiting fails as unavailable.
    const post = () => file.writer.call({ op: 'query', sql: SLOW.compile(file.db).sql, params: [] });
    const settled = await killDuring(file.writer, [post(), post(), post(), post()]);
    const failed = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    assert.ok(failed.length >= 2, `${failed.length} of 4 failed`);
    assert.equal(settled.at(-1)!.status, 'rejected');
    for (const e of failed) {
      assert.ok(isStoreUnavailable(e), String(e));
      assert.equal(e.kind, 'io');
    }
    const before = file.writer.generation;
    assert.equal((await file.db.selectFrom('t').select('v').executeTakeFirstOrThrow()).v, 'kept');
    assert.equal(file.writer.generation, before + 1, 'a fresh thread on the same file');
    await file.db.destroy();

    const mem = await open(':memory:');
    const post2 = () => mem.writer.call({ op: 'query', sql: SLOW.compile(mem.db).sql, params: [] });
    const last = await killDuring(mem.writer, [post2(), post2(), post2(), post2()]);
    const lastCall = last.at(-1)!;
    assert.ok(lastCall.status === 'rejected' && isStoreUnavailable(lastCall.reason));
    await assert.rejects(mem.db.selectFrom('t').selectAll().execute(), (e) => isStoreUnavailable(e));
    assert.ok(mem.faults.recent(60_000), 'recorded for readiness');
    await mem.db.destroy();
  });

  test('a transaction whose thread died is not continued on the next thread', async () => {
    const { db, writer } = await open();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`INSERT INTO t (id, v) VALUES (5, 'lost')`.execute(trx);
        await killDuring(writer, [SLOW.execute(trx)]);
        await sql`INSERT INTO t (id, v) VALUES (6, 'autocommitted?')`.execute(trx);
      }),
      (e) => isStoreUnavailable(e),
    );
    assert.deepEqual(await db.selectFrom('t').selectAll().execute(), []);
    await db.destroy();
  });

  test('close ends the thread; later calls fail; an unclosed store does not hold the process open', async () => {
    const { db, writer } = await open();
    await db.destroy();
    await assert.rejects(writer.call({ op: 'status' }), /closed/);
    const script = `
      import { openStore } from ${JSON.stringify(new URL('../open-store.ts', import.meta.url).href)};
      const s = await openStore({ url: 'sqlite:${join(dir, 'unclosed.db')}' });
      await s.migrate();
      console.log('migrated');`;
    const file = join(dir, 'unclosed.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, 'exited by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /migrated/);
  });
});
