import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery, sql, type Kysely, type KyselyPlugin } from 'kysely';
import { BACKENDS, storesOf } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
import { CAPABILITIES } from '../src/store/capabilities.ts';
import { KyselyErasureRepo } from '../src/store/erasure.repo.ts';
import { KyselyMessageBulkRepo } from '../src/store/message-bulk.repo.ts';
import { KyselyMessageRepo } from '../src/store/messages.repo.ts';
import { KyselyRecipientRepo } from '../src/store/recipients.repo.ts';
import { databaseForTests } from '../src/store/open-store.ts';
import type { Database } from '../src/store/schema.ts';
import type { Store } from '../src/store/store.ts';

/**
 * One recipient index per store (migration 0016, docs/decisions/0041): every query that filters
 * messages by recipient still walks an index, and the exact filter keeps its exact meaning.
 */
/** The statements `run` sends through repositories built on `db`, compiled. */
async function statementsOf(
  db: Kysely<Database>,
  run: (spy: Kysely<Database>) => Promise<unknown>,
): Promise<CompiledQuery[]> {
  const seen: CompiledQuery[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (a) => {
      seen.push(db.getExecutor().compileQuery(a.node, a.queryId));
      return a.node;
    },
    transformResult: async (a) => a.result,
  };
  await run(db.withPlugin(plugin));
  return seen;
}

async function planOf(s: Store, q: CompiledQuery): Promise<string> {
  const db = databaseForTests(s);
  if (s.dialect === 'postgres') {
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${q.sql}`, [...q.parameters]),
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }
  const { rows } = await db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]),
  );
  return rows.map((r) => r.detail).join('\n');
}

async function indexNames(s: Store): Promise<string[]> {
  const q =
    s.dialect === 'postgres'
      ? sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes
          WHERE schemaname = current_schema() AND tablename = 'messages'`
      : sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'`;
  return (await q.execute(databaseForTests(s))).rows.map((r) => r.name).sort();
}

const TARGET = 'https://example.com/ann';
/** The same address but for case (a URL's path is case-sensitive). */
const OTHER_CASE = 'https://example.com/Ann';

for (const backend of BACKENDS) {
  void describe(`recipient index: ${backend}`, () => {
    const fresh = storesOf(backend);
    const caps = CAPABILITIES[backend];
    const INDEX = backend === 'postgres' ? 'messages_recipient_lower' : 'messages_recipient_nocase';

    /** 20,000 messages to 5000 hooks, 40 to TARGET spread among them, 2 to OTHER_CASE, 1 to upper case; analyzed. */
    const filled = async () => {
      const s = await fresh();
      const many = Array.from({ length: 20_000 }, (_, i) =>
        webhookMessage(i % 500 === 0 ? TARGET : `https://mail${i % 50}.example.com/user${i % 5000}`, {
          uniqueId: i % 10 === 0 ? `u${i % 3}` : undefined,
        }),
      );
      await s.messages.insertMany(many, 1);
      await s.messages.insertMany(
        [webhookMessage(OTHER_CASE), webhookMessage('https://example.com/ANN'), webhookMessage(OTHER_CASE)],
        2,
      );
      await sql.raw('ANALYZE messages').execute(databaseForTests(s));
      return s;
    };

    test('messages_recipient is gone; the one recipient index is there', async () => {
      const names = await indexNames(await fresh());
      assert.ok(!names.includes('messages_recipient'), names.join(', '));
      assert.ok(names.includes(INDEX), names.join(', '));
      assert.ok(names.includes('messages_unique'), names.join(', '));
    });

    test('the exact filter matches case exactly, newest first, page after page', async () => {
      const s = await filled();
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 10; n++) {
        const page = await s.messages.list({ recipient: TARGET }, 15, cursor);
        seen.push(...page.items.map((m) => m.id));
        for (const m of page.items) assert.equal(m.recipient, TARGET);
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      assert.equal(seen.length, 40);
      assert.deepEqual(seen, [...seen].sort().reverse());
      const mixed = await s.messages.list({ recipient: OTHER_CASE }, 50);
      assert.deepEqual(
        mixed.items.map((m) => m.recipient),
        [OTHER_CASE, OTHER_CASE],
      );
      assert.equal((await s.messages.list({ recipient: 'https://example.com/nobody' }, 50)).items.length, 0);
      // The bulk filter (POST /v1/messages/cancel and /retry) counts the same messages.
      const counted = await s.bulk.count({ recipient: OTHER_CASE }, ['queued'], 'ffffffff');
      assert.deepEqual(counted, { matched: 2, eligible: 2 });
    });

    test('the exact filter walks the recipient index in id order, no sort, case checked in the index', async () => {
      const s = await filled();
      const db = databaseForTests(s);
      const [q] = await statementsOf(db, (spy) => new KyselyMessageRepo(spy, caps).list({ recipient: TARGET }, 10));
      const plan = await planOf(s, q!);
      if (backend === 'postgres') {
        assert.match(plan, /Index Scan Backward using messages_recipient_lower on messages/, plan);
        // Both equalities in the index condition: a case-only mismatch reads no rows.
        assert.match(plan, /Index Cond: \(\(lower\(recipient\) = [^\n]* AND \(recipient = /, plan);
        assert.doesNotMatch(plan, /Sort|Seq Scan|Bitmap/, plan);
      } else {
        assert.match(plan, /SEARCH messages USING INDEX messages_recipient_nocase \(recipient=\?/, plan);
        assert.doesNotMatch(plan, /TEMP B-TREE|SCAN messages/, plan);
      }
    });

    test('a prefix is a range on the recipient index', async () => {
      const s = await filled();
      const sent = await statementsOf(databaseForTests(s), (spy) =>
        new KyselyMessageRepo(spy, caps).list({ recipientPrefix: 'https://example.com/A' }, 10),
      );
      // PostgreSQL asks the planner's estimates first (EXPLAIN), then reads the page.
      const q = sent.at(-1)!;
      const plan = await planOf(s, q);
      if (backend === 'postgres') assert.match(plan, /messages_recipient_lower/, plan);
      else assert.match(plan, /USING INDEX messages_recipient_nocase \(recipient>\? AND recipient<\?\)/, plan);
      assert.doesNotMatch(plan, /Seq Scan|SCAN messages\b(?! USING)/, plan);
    });

    if (backend === 'postgres')
      test('a prefix whose messages are all old: its page comes from the recipient index, not a walk of the table', async () => {
        // 2,000 old messages to `old-…` under 8,000 newer ones: 20 % of the rows, so the planner's
        // plan for the plain query walks the primary key newest first and filters 8,000 rows to reach them.
        const s = await fresh();
        const old = Array.from({ length: 2000 }, (_, i) => webhookMessage(`https://old-${i % 400}.example.com/h`));
        const newer = Array.from({ length: 8000 }, (_, i) => webhookMessage(`https://new-${i}.example.com/h`));
        await s.messages.insertMany(old, 1);
        await s.messages.insertMany(newer, 2);
        const db = databaseForTests(s);
        await sql.raw('VACUUM ANALYZE messages').execute(db);
        const expected = (
          await db.selectFrom('messages').select('id').where('recipient', 'like', 'https://old-%').execute()
        )
          .map((r) => r.id)
          .sort()
          .reverse();
        // Pages of 300 (several windows), through the cursor, case-insensitive.
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let n = 0; n < 10; n++) {
          const page = await s.messages.list({ recipientPrefix: 'HTTPS://OLD-' }, 300, cursor);
          seen.push(...page.items.map((m) => m.id));
          if (!page.nextCursor) break;
          cursor = page.nextCursor;
        }
        assert.deepEqual(seen, expected);
        // The work: every statement of one page, EXPLAIN ANALYZE'd. The plain query removes
        // ~8,000 rows by its filter; this reads at most twice what an even spread would need.
        const sent = await statementsOf(db, (spy) =>
          new KyselyMessageRepo(spy, caps).list({ recipientPrefix: 'https://old-' }, 50),
        );
        let removed = 0;
        const plans: string[] = [];
        for (const q of sent.filter((x) => !/^\s*EXPLAIN/i.test(x.sql))) {
          const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
            CompiledQuery.raw(`EXPLAIN (ANALYZE, COSTS OFF) ${q.sql}`, [...q.parameters]),
          );
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          plans.push(plan);
          for (const m of plan.matchAll(/Rows Removed by Filter: (\d+)/g)) removed += Number(m[1]);
        }
        const all = plans.join('\n---\n');
        assert.ok(removed <= 1000, `${removed} rows removed by filters\n${all}`);
        assert.match(plans.at(-1)!, /Index Only Scan using messages_recipient_lower/, all);
        assert.match(plans.at(-1)!, /Sort Key: [^\n]*COLLATE "C" DESC/, all);
      });

    test('a substring search finds the messages being sent too, through the trigram index', async () => {
      const s = await fresh();
      await s.messages.insertMany(
        Array.from({ length: 3000 }, (_, i) => webhookMessage(`https://hooks${i % 300}.example.com/x`)),
        1,
      );
      await s.messages.insertMany([webhookMessage('https://Needle.example.com/a', { priority: 9 })], 2);
      // The needle is claimed (being sent): PostgreSQL's trigram index leaves it out (migration 0017).
      const [held] = await s.messages.claim({ owner: 'w', limit: 1, now: 5, leaseMs: 60_000 });
      assert.equal(held?.recipient, 'https://Needle.example.com/a');
      await s.messages.insertMany([webhookMessage('https://needle.example.com/b')], 3);
      const db = databaseForTests(s);
      await sql.raw(backend === 'postgres' ? 'VACUUM ANALYZE messages' : 'ANALYZE').execute(db);
      const found = await s.messages.list({ recipientContains: 'NEEDLE.ex' }, 10);
      assert.deepEqual(
        found.items.map((m) => [m.recipient, m.state]),
        [
          ['https://needle.example.com/b', 'queued'],
          ['https://Needle.example.com/a', 'sending'],
        ],
      );
      if (backend !== 'postgres') return;
      const [q] = await statementsOf(db, (spy) =>
        new KyselyMessageRepo(spy, caps).list({ recipientContains: 'needle.ex' }, 10),
      );
      const plan = await planOf(s, q!);
      assert.match(plan, /Bitmap Index Scan on messages_recipient_trgm/, plan);
      assert.match(plan, /Bitmap Index Scan on messages_leases/, plan);
      assert.doesNotMatch(plan, /Seq Scan|Index Scan Backward using messages_pkey/, plan);
      const { rows } = await sql<{ def: string }>`SELECT indexdef AS def FROM pg_indexes
        WHERE schemaname = current_schema() AND indexname = 'messages_recipient_trgm'`.execute(db);
      assert.match(rows[0]?.def ?? '', /WHERE \(state <> 'sending'::text\)/);
    });

    test('the bulk filter, erasure and lastByUniqueId walk an index', async () => {
      const s = await filled();
      const db = databaseForTests(s);
      const bulk = await statementsOf(db, (spy) =>
        new KyselyMessageBulkRepo(spy, caps).count({ recipient: TARGET }, ['queued'], 'ffffffff'),
      );
      const last = await statementsOf(db, (spy) => new KyselyRecipientRepo(spy).lastByUniqueId(TARGET, 'u0'));
      assert.equal((await s.recipients.lastByUniqueId(TARGET, 'u0'))?.recipient, TARGET);
      // Last: it erases TARGET's messages (the plans below use the statistics taken before).
      const erase = await statementsOf(db, (spy) =>
        new KyselyErasureRepo(spy, caps).eraseMessages(
          { key: TARGET, hash: 'h', forms: [TARGET, 'https://example.com/nobody'] },
          'ffffffff',
          500,
        ),
      );
      const pick = erase.find((q) => /^select "id" from "messages"/i.test(q.sql));
      assert.ok(pick, erase.map((q) => q.sql).join('\n'));
      const expect: [CompiledQuery, string][] = [
        [bulk[0]!, INDEX],
        [pick, INDEX],
        [last[0]!, 'messages_unique'],
      ];
      for (const [q, index] of expect) {
        const plan = await planOf(s, q);
        assert.match(plan, new RegExp(index), plan);
        assert.doesNotMatch(plan, /Seq Scan|SCAN messages\b(?! USING)/, plan);
      }
    });
  });
}
