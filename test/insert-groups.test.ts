import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore, storesOf } from './helpers/stores.ts';
import type { NewMessage } from '../src/domain/message.ts';
import { ManualClock } from '../src/domain/clock.ts';
import { createMetrics } from '../src/metrics.ts';
import { Ingest } from '../src/queue/ingest.ts';
import { openStore, databaseForTests } from '../src/store/open-store.ts';
import { rowFromNewMessage } from '../src/store/rows.ts';
import type { MessagesTable } from '../src/store/schema.ts';
import type { Store } from '../src/store/store.ts';

/*
 * Groups of new messages of every shape the SQLite insert cuts them into (multi-row VALUES of 100,
 * 10 and 1 rows, docs/decisions/0030) — and beyond one statement group (1,000) — store every column
 * of every row as given: nulls, unicode, SQL-looking text, large bodies, big integers.
 */
const SIZES = [1, 9, 10, 11, 99, 100, 101, 1234];
const NOW = 1_764_000_000_123;
const BIG = "Ünïcødé 📨 “quotes” 'single' ? ?1 :x $1 \\ ".repeat(6_000); // ~250 KB

/** A message whose every optional field is set or missing depending on `i`. */
function varied(i: number, tag: string): NewMessage {
  const some = i % 2 === 0;
  const channel = (['email', 'sms', 'webhook'] as const)[i % 3]!;
  return {
    channel,
    recipient: `${tag}-${i}-üser+漢字@exämple.com`,
    sender: some ? `sénder ${i} <s@e.com>` : undefined,
    subject: i % 3 === 1 ? `📨 subject ${i} with 'quotes' and ?` : undefined,
    text: i % 50 === 7 ? BIG : some ? `text ${i} — ${'x'.repeat(i)}` : undefined,
    html: i % 5 === 0 ? `<p>${i} &amp; ½</p>` : undefined,
    payload:
      channel === 'webhook'
        ? { method: 'POST', url: `http://e.com/${i}`, body: { n: i, s: 'ü', nested: [1, null, 'null'] } }
        : undefined,
    email: channel === 'email' && some ? { replyTo: `r${i}@e.com` } : undefined,
    segments: channel === 'sms' ? (i % 7) + 1 : undefined,
    priority: (i % 11) - 5,
    categories: i % 4 === 0 ? 2 ** 52 + i : i,
    uniqueId: i % 6 === 0 ? `u-${i}` : undefined,
    idempotencyKey: i % 10 === 3 ? `${tag}-key-${i}` : undefined,
    requestHash: i % 10 === 3 ? `hash-${i}` : undefined,
    provider: i % 4 === 1 ? 'prövider' : undefined,
    lane: `lane-${i % 5}`,
    metadata: i % 3 === 2 ? { k: `v${i}`, emoji: '🙂', n: i, deep: { a: [true, false] } } : undefined,
    dueAt: NOW + i * 1_000,
    notAfter: i % 8 === 0 ? NOW + 86_400_000 + i : undefined,
    maxAttempts: 1 + (i % 9),
    campaignId: i % 13 === 0 ? `camp-${i}` : undefined,
    contactId: i % 13 === 0 ? `contact-${i}` : undefined,
    state: i % 17 === 5 ? 'suppressed' : undefined,
    reason: i % 17 === 5 ? `opted out ${i}` : undefined,
    callback: i % 25 === 4 ? { url: `http://cb.example/${i}`, events: ['message.accepted'] } : undefined,
  };
}

/** A stored row with integers as numbers (PostgreSQL returns bigint columns as strings). */
function normalised(expected: MessagesTable, got: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(expected)) {
    const g = got[k];
    out[k] = typeof v === 'number' && (typeof g === 'string' || typeof g === 'bigint') ? Number(g) : g;
  }
  return out;
}

async function assertStored(store: Store, sent: readonly NewMessage[], ids: readonly string[]): Promise<void> {
  const db = databaseForTests(store);
  const rows = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = await db
      .selectFrom('messages')
      .selectAll()
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of part) rows.set(r.id, r);
  }
  assert.equal(rows.size, ids.length, 'every message stored once');
  sent.forEach((m, i) => {
    const expected = rowFromNewMessage(m, ids[i]!, NOW);
    const got = rows.get(ids[i]!)!;
    assert.deepEqual(normalised(expected, got), { ...expected }, `row ${i} of ${sent.length}`);
    assert.equal(Object.keys(got).length, Object.keys(expected).length, 'no column left out of the comparison');
  });
}

const backends = [...BACKENDS, 'sqlite-memory'] as const;

for (const backend of backends) {
  describe(`insert groups: ${backend}`, () => {
    const fresh = storesOf(backend === 'sqlite-memory' ? 'sqlite' : backend, async () => {
      if (backend !== 'sqlite-memory') return freshStore(backend);
      const s = await openStore({ url: 'sqlite::memory:' });
      await s.migrate();
      return s;
    });

    test('groups of 1 to 1,234 store every column of every row', async () => {
      const s = await fresh();
      let queued = 0;
      let events = 0;
      for (const n of SIZES) {
        const sent = Array.from({ length: n }, (_, i) => varied(i, `g${n}`));
        const results = await s.messages.insertMany(sent, NOW);
        assert.ok(
          results.every((r) => r.kind === 'created'),
          `group of ${n}`,
        );
        await assertStored(
          s,
          sent,
          results.map((r) => r.id),
        );
        queued += sent.filter((m) => m.state === undefined).length;
        // Callbacks wanting `accepted`: one event row each (no endpoint is configured).
        events += sent.filter((m) => m.callback).length;
      }
      assert.equal((await s.stats.queueDepth()).queued, queued, 'the queue-depth counters saw every row');
      const db = databaseForTests(s);
      const ev = await db
        .selectFrom('events')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(ev.n), events);
    });

    test('a bad message fails only its own request in a group commit', async () => {
      const s = await fresh();
      const ingest = new Ingest({ store: s, clock: new ManualClock(NOW), metrics: createMetrics() });
      // The bad row is the 71st of the group's second 100-row statement (SQLite): the 70 before it are undone too.
      const bad = { ...varied(1, 'bad'), recipient: null as unknown as string };
      const requests = [
        Array.from({ length: 150 }, (_, i) => varied(i, 'a')),
        Array.from({ length: 120 }, (_, i) => (i === 20 ? bad : varied(i, 'b'))),
        Array.from({ length: 11 }, (_, i) => varied(i, 'c')),
      ];
      const outcomes = await Promise.allSettled(requests.map((r) => ingest.submit(r)));
      assert.equal(outcomes[1]!.status, 'rejected');
      for (const k of [0, 2]) {
        const o = outcomes[k]!;
        assert.equal(o.status, 'fulfilled', `request ${k}`);
        if (o.status === 'fulfilled')
          await assertStored(
            s,
            requests[k]!,
            o.value.map((r) => r.id),
          );
      }
      const db = databaseForTests(s);
      const stored = await db
        .selectFrom('messages')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(stored.n), 161, 'nothing of the bad request was kept');
      const kept = [...requests[0]!, ...requests[2]!];
      assert.equal((await s.stats.queueDepth()).queued, kept.filter((m) => m.state === undefined).length);
      await ingest.drain();
    });

    test('a group larger than one call to the SQLite thread is one transaction: stored whole or not at all', async () => {
      // 10,000 messages per call (messages.repo.ts, docs/decisions/0039): 10,050 make two calls.
      const s = await fresh();
      const small = (i: number, tag: string): NewMessage => ({
        channel: 'webhook',
        recipient: `http://e.com/${tag}/${i}`,
        payload: { method: 'POST', url: `http://e.com/${tag}/${i}`, body: { i } },
        priority: 0,
        categories: 0,
        lane: 'webhook',
        dueAt: NOW,
        maxAttempts: 3,
      });
      const bad = Array.from({ length: 10_050 }, (_, i) =>
        i === 10_030 ? { ...small(i, 'x'), recipient: null as unknown as string } : small(i, 'x'),
      );
      await assert.rejects(s.messages.insertMany(bad, NOW));
      const db = databaseForTests(s);
      const count = async () =>
        Number(
          (
            await db
              .selectFrom('messages')
              .select((e) => e.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.equal(await count(), 0, 'the first call was rolled back with the second');
      assert.equal((await s.stats.queueDepth()).queued ?? 0, 0);
      const good = Array.from({ length: 10_050 }, (_, i) => small(i, 'y'));
      const results = await s.messages.insertMany(good, NOW);
      assert.equal(new Set(results.map((r) => r.id)).size, 10_050);
      assert.equal(await count(), 10_050);
      assert.equal((await s.stats.queueDepth()).queued, 10_050);
    });

    test("a bad message in a caller's transaction leaves nothing of the group", async () => {
      const s = await fresh();
      const group = Array.from({ length: 250 }, (_, i) =>
        i === 170 ? { ...varied(i, 'x'), recipient: null as unknown as string } : varied(i, 'x'),
      );
      await assert.rejects(s.transaction((tx) => tx.messages.insertMany(group, NOW)));
      const db = databaseForTests(s);
      const stored = await db
        .selectFrom('messages')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(stored.n), 0);
      assert.equal((await s.stats.queueDepth()).queued ?? 0, 0);
      const [ok] = await s.messages.insertMany([varied(1, 'y')], NOW);
      assert.equal(ok!.kind, 'created', 'the store writes on after the failed transaction');
    });
  });
}
