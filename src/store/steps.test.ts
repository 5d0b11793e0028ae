import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { databaseForTests, openStore } from './open-store.ts';
import { runSteps, type Step } from './steps.ts';
import type { Store } from './store.ts';
import { freshUrl } from '../../test/helpers/stores.ts';

/*
 * Steps run the same wherever they run: on the SQLite thread in one call (a database file), one by
 * one on SQLite on the event loop (:memory:) and on PostgreSQL. Needs PostgreSQL on 127.0.0.1:5432.
 */
const WHERE = {
  'sqlite file (thread)': () => freshUrl('sqlite'),
  'sqlite :memory: (event loop)': () => ({ url: 'sqlite::memory:' }),
  postgres: () => freshUrl('postgres'),
};

for (const [name, where] of Object.entries(WHERE)) {
  describe(`steps: ${name}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });
    const fresh = async () => {
      const s = await openStore(where());
      opened.push(s);
      await s.migrate();
      const db = databaseForTests(s);
      await sql`CREATE TABLE t (k integer PRIMARY KEY, v text NOT NULL)`.execute(db);
      return { s, db };
    };
    const pg = name === 'postgres';
    const p = (n: number) => (pg ? `$${n}` : '?');
    const insert = (k: number, v: string | null, ifPrevious?: boolean): Step => ({
      sql: `INSERT INTO t (k, v) VALUES (${p(1)}, ${p(2)})`,
      params: [k, v],
      ifPrevious,
    });
    const rows = async (db: ReturnType<typeof databaseForTests>) =>
      (await sql<{ k: number; v: string }>`SELECT k, v FROM t ORDER BY k`.execute(db)).rows.map((r) => [
        Number(r.k),
        r.v,
      ]);

    test('each step gives its rows or its change count; ifPrevious follows the step before', async () => {
      const { db } = await fresh();
      const results = await runSteps(db, [
        insert(1, 'a'),
        { sql: `UPDATE t SET v = 'b' WHERE k = 2`, params: [] },
        insert(2, 'not written', true),
        insert(3, 'not written either', true),
        { sql: `SELECT v FROM t WHERE k = 1`, params: [] },
        insert(4, 'after a row', true),
      ]);
      assert.equal(Number(results[0]!.changes), 1);
      assert.equal(Number(results[1]!.changes ?? 0), 0);
      assert.equal(results[2]!.skipped, true);
      assert.equal(results[3]!.skipped, true, 'a skipped step does not let the next one run');
      assert.deepEqual(
        results[4]!.rows.map((r) => ({ ...(r as object) })),
        [{ v: 'a' }],
      );
      assert.deepEqual(await rows(db), [
        [1, 'a'],
        [4, 'after a row'],
      ]);
    });

    test('outside a transaction the steps are one unit: a failing step undoes the ones before', async () => {
      const { db } = await fresh();
      await assert.rejects(() => runSteps(db, [insert(1, 'a'), insert(2, null)]));
      assert.deepEqual(await rows(db), []);
      await runSteps(db, [insert(1, 'a')]);
      assert.deepEqual(await rows(db), [[1, 'a']]);
    });

    test("inside a transaction they are the caller's: its rollback undoes them", async () => {
      const { db } = await fresh();
      await assert.rejects(() =>
        db.transaction().execute(async (tx) => {
          await runSteps(tx, [insert(1, 'a'), insert(2, 'b')]);
          throw new Error('caller fails');
        }),
      );
      assert.deepEqual(await rows(db), []);
      await db.transaction().execute((tx) => runSteps(tx, [insert(1, 'a')]));
      assert.deepEqual(await rows(db), [[1, 'a']]);
    });
  });
}
