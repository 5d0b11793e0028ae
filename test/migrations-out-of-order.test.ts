import { after, describe, test } from 'node:test';
import { DatabaseSync } from 'node:sqlite';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { BACKENDS, freshUrl } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
import { MIGRATIONS } from '../src/store/migrations/index.ts';
import { databaseForTests, openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';

/**
 * Migration 0010 took a number left free while 0011 and 0012 shipped: a database that already has
 * 0011 and 0012 (and messages in every open state) gets 0010 and 0013 on the next migrate, and
 * ends with the index set and the queue-depth counters of a fresh database.
 */
const BEFORE = new Set([10, 13]);

async function indexes(s: Store): Promise<string[]> {
  const db = databaseForTests(s);
  const q =
    s.dialect === 'postgres'
      ? sql<{
          name: string;
        }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'messages'`
      : sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'`;
  return (await q.execute(db)).rows.map((r) => r.name).sort();
}

for (const backend of BACKENDS) {
  describe(`migrations out of order: ${backend}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });

    test('0010 and 0013 apply to a database already at 0012', async () => {
      const where = freshUrl(backend);
      // What a Herald without 0010 and 0013 left behind: 1–9, 11, 12 in the ledger.
      const ledger = `CREATE TABLE herald_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`;
      const older = MIGRATIONS.filter((x) => !BEFORE.has(x.version));
      const record = (v: number, n: string) => `INSERT INTO herald_migrations VALUES (${v}, '${n}', 1);`;
      if (backend === 'sqlite') {
        const file = new DatabaseSync(where.url.slice('sqlite:'.length));
        file.exec([ledger, ...older.map((m) => `${m.sqlite};${record(m.version, m.name)}`)].join(';\n'));
        file.close();
      }
      const s = await openStore(where);
      opened.push(s);
      if (backend === 'postgres') {
        for (const m of [{ postgres: ledger, version: 0, name: '' }, ...older])
          await sql
            .raw(m.version ? `${m.postgres};${record(m.version, m.name)}` : m.postgres)
            .execute(databaseForTests(s));
      }
      assert.ok((await indexes(s)).includes('messages_state'));
      const made = await s.messages.insertMany(
        Array.from({ length: 7 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
        1,
      );
      const claimed = await s.messages.claim({ owner: 'w', limit: 4, now: 10, leaseMs: 100 });
      await s.messages.complete(
        claimed.slice(0, 2).map((m, i) => ({
          id: m.id,
          owner: 'w',
          to: i === 0 ? 'sent' : 'delivered',
          at: 20,
          countsAttempt: true,
          event: { type: 'x', source: 'worker' },
        })),
      );
      assert.equal(made.length, 7);

      const st = await s.migrate();
      assert.deepEqual(
        st.applied,
        MIGRATIONS.map((m) => m.version),
      );
      const names = await indexes(s);
      assert.ok(!names.includes('messages_state'), 'messages_state dropped');
      // Migration 0017 left one recipient index per store (decision 0041).
      const recipientIndex = backend === 'postgres' ? 'messages_recipient_lower' : 'messages_recipient_nocase';
      for (const keep of ['messages_state_listed', 'messages_claim', 'messages_leases', recipientIndex])
        assert.ok(names.includes(keep), `${keep} present`);
      assert.ok(!names.includes('messages_recipient'), 'messages_recipient dropped (0017)');
      assert.deepEqual(await s.stats.queueDepth(), { queued: 3, sending: 2, sent: 1 });
      // The counters follow changes made after the migration.
      await s.messages.claim({ owner: 'w', limit: 10, now: 30, leaseMs: 100 });
      assert.deepEqual(await s.stats.queueDepth(), { queued: 0, sending: 5, sent: 1 });
      // A list by state still finds its rows (through the partial indexes).
      assert.equal((await s.messages.list({ state: 'sent' }, 10)).items.length, 1);
      assert.equal((await s.messages.list({ state: 'sending' }, 10)).items.length, 5);
      assert.deepEqual(await s.migrate(), st, 'a second migrate does nothing');
    });
  });
}
