import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { BACKENDS, freshStore } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
import { databaseForTests } from '../src/store/open-store.ts';
import { OPEN_STATES } from '../src/store/stats.repo.ts';
import type { Completion, Store } from '../src/store/store.ts';

/**
 * Queue depth from the trigger-kept counters (migration 0013) equals a COUNT(*) of the open states
 * after every kind of change: inserts, claims, completions, transient retries, receipts, cancels,
 * operator retries, expiry, lease reaping, a rolled-back transaction, retention purges, erasure.
 */
async function counted(s: Store): Promise<Record<string, number>> {
  const all = await s.messages.countByState();
  return Object.fromEntries(OPEN_STATES.map((st) => [st, all[st] ?? 0]));
}

async function assertDepth(s: Store, what: string): Promise<void> {
  assert.deepEqual(await s.stats.queueDepth(), await counted(s), `queue depth after ${what}`);
}

const done = (id: string, to: Completion['to'], at: number, over: Partial<Completion> = {}): Completion => ({
  id,
  owner: 'w1',
  to,
  at,
  countsAttempt: true,
  event: { type: to, source: 'worker' },
  ...over,
});

let clock = 0;

for (const backend of BACKENDS) {
  describe(`queue depth counters: ${backend}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });

    test('equal COUNT(*) through the life of messages', async () => {
      const s = await freshStore(backend);
      opened.push(s);
      assert.deepEqual(await s.stats.queueDepth(), { queued: 0, sending: 0, sent: 0 });
      const made = await s.messages.insertMany(
        Array.from({ length: 12 }, (_, i) =>
          webhookMessage(`http://e.com/${i}`, { dueAt: 0, notAfter: i === 11 ? 50 : undefined }),
        ),
        1,
      );
      const ids = made.map((r) => r.id);
      await assertDepth(s, 'inserts');
      const claimed = await s.messages.claim({ owner: 'w1', limit: 6, now: 10, leaseMs: 100 });
      assert.equal(claimed.length, 6);
      await assertDepth(s, 'a claim');
      const [a, b, c, d] = claimed.map((m) => m.id);
      await s.messages.complete([
        done(a!, 'delivered', 20),
        done(b!, 'sent', 20, { providerMessageId: 'pm-b' }),
        done(c!, 'queued', 20, { dueAt: 30 }),
        done(d!, 'failed', 20),
      ]);
      await assertDepth(s, 'completions (delivered, sent, transient retry, failed)');
      await s.messages.changeStateByProviderId('pm-b', {
        to: 'delivered',
        at: 40,
        source: 'provider',
        type: 'delivered',
      });
      await assertDepth(s, 'a receipt');
      await s.messages.changeState(ids[10]!, { to: 'cancelled', at: 41, source: 'api', type: 'cancelled' });
      await assertDepth(s, 'a cancel');
      await s.messages.retry(d!, 42, 3);
      await assertDepth(s, 'an operator retry of a failed message');
      await s.messages.expireOverdue(100);
      await assertDepth(s, 'expiry');
      assert.ok((await s.messages.reapLeases(1000)) > 0);
      await assertDepth(s, 'lease reaping');
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.messages.insertMany([webhookMessage('http://e.com/x')], 50);
          await tx.messages.claim({ owner: 'w2', limit: 3, now: 2000, leaseMs: 100 });
          throw new Error('roll back');
        }),
        /roll back/,
      );
      await assertDepth(s, 'a rolled-back transaction');
      const bulk = await s.bulk.page(
        {},
        { kind: 'cancel', at: 60, reason: 'test' },
        { states: ['queued'], after: null, below: 'ffffffff', limit: 2, detail: 'bulk t' },
      );
      assert.equal(bulk.changed, 2);
      await assertDepth(s, 'a bulk cancel');
    });

    test('equal COUNT(*) after retention purges and erasure', async () => {
      const s = await freshStore(backend);
      opened.push(s);
      // Ids are time-ordered and never go back within a process, and the previous backend's run of
      // this test issued ids up to its t0 + 6 s: start past them, or the "old" ids would not be old.
      const t0 = (clock = Math.max(Date.now(), clock + 10_000));
      const old = await s.messages.insertMany(
        Array.from({ length: 6 }, (_, i) => webhookMessage(`http://old.example/${i}`)),
        t0,
      );
      // Created after the purge's cutoff and due later than the claim: erasure finds them queued.
      const later = { dueAt: t0 + 10_000 };
      await s.messages.insertMany(
        [webhookMessage('http://erase.example/me', later), webhookMessage('http://erase.example/me', later)],
        t0 + 6000,
      );
      const claimed = await s.messages.claim({ owner: 'w1', limit: 3, now: t0 + 3000, leaseMs: 100 });
      await s.messages.complete(claimed.map((m) => done(m.id, 'delivered', t0 + 3000)));
      await assertDepth(s, 'setup');
      const r = await s.retention.purgeBatch({ before: t0 + 5000, limit: 100 });
      assert.equal(r.messages, 3, 'the delivered old messages go, the queued ones stay');
      await assertDepth(s, 'a retention purge');
      assert.ok(old.length > 0);
      const e = await s.erasure.eraseMessages(
        { key: 'k', hash: 'h', forms: ['http://erase.example/me'] },
        'ffffffff',
        10,
      );
      assert.equal(e.messages, 2);
      await assertDepth(s, 'erasure of queued messages');
    });

    if (backend === 'postgres') {
      test('rows of backends that are gone fold into slot 0 without changing the sums', async () => {
        const s = await freshStore(backend);
        opened.push(s);
        await s.messages.insertMany([webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')], 1);
        const db = databaseForTests(s);
        // 40 slots of backends that no longer exist (pids are positive and far below 2^31 - 40).
        const dead = Array.from({ length: 40 }, (_, i) => ({
          state: 'queued',
          slot: 2_147_483_000 + i,
          n: i % 2 ? 3 : -3,
        }));
        await db.insertInto('message_depth').values(dead).execute();
        await assertDepth(s, 'dead slots (sum zero) added');
        const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM message_depth WHERE state = 'queued'`.execute(
          db,
        );
        assert.ok(Number(rows.rows[0]!.n) <= 3, `folded: ${rows.rows[0]!.n} queued rows left`);
        await assertDepth(s, 'the fold');
      });

      test('concurrent writers on two pools keep the sum exact', async () => {
        const s = await freshStore(backend);
        opened.push(s);
        await Promise.all(
          Array.from({ length: 8 }, (_, k) =>
            s.messages.insertMany(
              Array.from({ length: 25 }, (_, i) => webhookMessage(`http://e.com/${k}/${i}`)),
              1,
            ),
          ),
        );
        await Promise.all(
          Array.from({ length: 4 }, (_, k) => s.messages.claim({ owner: `w${k}`, limit: 20, now: 10, leaseMs: 100 })),
        );
        await assertDepth(s, 'concurrent inserts and claims');
      });
    }
  });
}
