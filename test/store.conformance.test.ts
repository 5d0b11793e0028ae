import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
import type { Store } from '../src/store/store.ts';
import { openStore, databaseForTests } from '../src/store/open-store.ts';
import { NewerDatabaseError } from '../src/store/migrator.ts';
import { freshUrl } from './helpers/stores.ts';

for (const backend of BACKENDS) {
  describe(`store conformance: ${backend}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const s = await freshStore(backend);
      opened.push(s);
      return s;
    };
    after(async () => {
      for (const s of opened) await s.close();
    });

    test('migrations are recorded and idempotent', async () => {
      const s = await fresh();
      const again = await s.migrate();
      assert.equal(again.current, again.latest);
      assert.deepEqual(await s.migrationStatus(), again);
    });

    test('refuses a database newer than the code', async () => {
      const where = freshUrl(backend);
      const s = await openStore(where);
      opened.push(s);
      await s.migrate();
      await databaseForTests(s)
        .insertInto('herald_migrations')
        .values({ version: 9999, name: 'future', applied_at: 0 })
        .execute();
      await assert.rejects(() => s.migrate(), NewerDatabaseError);
    });

    test('concurrent migrations from two connections do not collide', async () => {
      const where = freshUrl(backend);
      const a = await openStore(where);
      const b = await openStore(where);
      opened.push(a, b);
      const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
      assert.equal(ra.current, ra.latest);
      assert.equal(rb.current, rb.latest);
    });

    test('insert, get, idempotency repeat and conflict', async () => {
      const s = await fresh();
      const m = webhookMessage('http://example.com/a', { idempotencyKey: 'k1', requestHash: 'h1' });
      const [r1] = await s.messages.insertMany([m], 1000);
      assert.equal(r1!.kind, 'created');
      const [r2, r3] = await s.messages.insertMany([m, { ...m, requestHash: 'h2' }], 2000);
      assert.deepEqual(r2, { kind: 'existing', id: r1!.id, state: 'queued' });
      assert.equal(r3!.kind, 'conflict');
      const got = await s.messages.get(r1!.id);
      assert.equal(got?.state, 'queued');
      assert.deepEqual(got?.payload, m.payload);
      assert.equal(got?.createdAt, 1000);
    });

    test('the same new key twice in one batch makes one message', async () => {
      const s = await fresh();
      const m = webhookMessage('http://example.com/a', { idempotencyKey: 'dup', requestHash: 'h' });
      const [a, b] = await s.messages.insertMany([m, m], 1);
      assert.equal(a!.kind, 'created');
      assert.deepEqual(b, { kind: 'existing', id: a!.id, state: 'queued' });
    });

    test('claim takes due messages by priority, then due time, and leases them', async () => {
      const s = await fresh();
      const [low, high, later, future] = await s.messages.insertMany(
        [
          webhookMessage('http://e.com/1', { priority: 0, dueAt: 10 }),
          webhookMessage('http://e.com/2', { priority: 9, dueAt: 50 }),
          webhookMessage('http://e.com/3', { priority: 0, dueAt: 20 }),
          webhookMessage('http://e.com/4', { priority: 9, dueAt: 5000 }),
        ],
        1,
      );
      const got = await s.messages.claim({ owner: 'w1', limit: 10, now: 100, leaseMs: 1000 });
      assert.deepEqual(
        got.map((m) => m.id),
        [high!.id, low!.id, later!.id],
      );
      assert.ok(got.every((m) => m.state === 'sending'));
      const again = await s.messages.claim({ owner: 'w2', limit: 10, now: 100, leaseMs: 1000 });
      assert.equal(again.length, 0, 'leased messages are not claimed twice');
      assert.equal((await s.messages.get(future!.id))?.state, 'queued');
    });

    test('claim skips excluded lanes', async () => {
      const s = await fresh();
      await s.messages.insertMany([webhookMessage('http://a.com/'), webhookMessage('http://b.com/')], 1);
      const got = await s.messages.claim({
        owner: 'w',
        limit: 10,
        now: 1,
        leaseMs: 10,
        excludeLanes: ['webhook:http://a.com'],
      });
      assert.deepEqual(
        got.map((m) => m.lane),
        ['webhook:http://b.com'],
      );
    });

    test('extendLeases renews the leases in hand; with renewBefore only those ending before it', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')],
        1,
      );
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 100 }); // a: lease ends at 101
      await s.messages.claim({ owner: 'w', limit: 1, now: 50, leaseMs: 100 }); // b: at 150
      // How many leases would have run out at `now`: reaped in a transaction that is then rolled back.
      const reapedAt = async (now: number): Promise<number> => {
        let n = -1;
        await s
          .transaction(async (t) => {
            n = await t.messages.reapLeases(now);
            throw new Error('roll back');
          })
          .catch(() => undefined);
        return n;
      };
      // Renew only what ends before 120: a (101) moves to 200, b (150) keeps its lease.
      await s.messages.extendLeases([a!.id, b!.id], 'w', 200, 120);
      assert.equal(await reapedAt(160), 1, 'b ran out at 150; a was renewed');
      await s.messages.extendLeases([a!.id, b!.id], 'stranger', 900);
      assert.equal(await reapedAt(210), 2, 'a stranger renews nothing');
      await s.messages.extendLeases([a!.id, b!.id], 'w', 300);
      assert.equal(await reapedAt(250), 0, 'without renewBefore every lease in hand is renewed');
    });

    test('complete applies only for the lease owner and records attempts and events', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')],
        1,
      );
      await s.messages.claim({ owner: 'w1', limit: 10, now: 1, leaseMs: 1000 });
      const attempt = {
        number: 1,
        provider: 'webhook',
        startedAt: 5,
        durationMs: 3,
        outcome: 'ok' as const,
        statusCode: 200,
        response: 'ok',
        error: null,
      };
      const n = await s.messages.complete([
        {
          id: a!.id,
          owner: 'w1',
          to: 'delivered',
          at: 10,
          countsAttempt: true,
          attempt,
          event: { type: 'delivered', source: 'worker' },
        },
        {
          id: b!.id,
          owner: 'other',
          to: 'delivered',
          at: 10,
          countsAttempt: true,
          attempt,
          event: { type: 'delivered', source: 'worker' },
        },
      ]);
      assert.equal(n, 1);
      const da = await s.messages.detail(a!.id);
      assert.equal(da?.state, 'delivered');
      assert.equal(da?.attempts, 1);
      assert.equal(da?.deliveredAt, 10);
      assert.equal(da?.attemptLog.length, 1);
      assert.equal(da?.attemptLog[0]?.statusCode, 200);
      assert.equal(da?.events.at(-1)?.toState, 'delivered');
      const db = await s.messages.detail(b!.id);
      assert.equal(db?.state, 'sending', 'a stranger cannot settle a leased message');
      assert.equal(db?.attemptLog.length, 1, 'the attempt happened and is kept');
    });

    test('transient completion re-queues with a due time; breaker release does not spend an attempt', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 1000 });
      await s.messages.complete([
        {
          id: a!.id,
          owner: 'w',
          to: 'queued',
          at: 2,
          dueAt: 500,
          countsAttempt: true,
          event: { type: 'retry_scheduled', source: 'worker' },
        },
      ]);
      let m = await s.messages.get(a!.id);
      assert.equal(m?.state, 'queued');
      assert.equal(m?.attempts, 1);
      assert.equal(m?.dueAt, 500);
      assert.equal((await s.messages.claim({ owner: 'w', limit: 1, now: 499, leaseMs: 1000 })).length, 0);
      assert.equal((await s.messages.claim({ owner: 'w', limit: 1, now: 500, leaseMs: 1000 })).length, 1);
      await s.messages.complete([
        {
          id: a!.id,
          owner: 'w',
          to: 'queued',
          at: 600,
          dueAt: 700,
          countsAttempt: false,
          event: { type: 'released', source: 'worker' },
        },
      ]);
      m = await s.messages.get(a!.id);
      assert.equal(m?.attempts, 1);
    });

    test('expired leases are reaped; overdue messages expire', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2', { dueAt: 10_000, notAfter: 50 })],
        1,
      );
      await s.messages.claim({ owner: 'dead', limit: 10, now: 1, leaseMs: 100 });
      assert.equal(await s.messages.reapLeases(50), 0);
      assert.equal(await s.messages.reapLeases(102), 1);
      assert.equal((await s.messages.get(a!.id))?.state, 'queued');
      assert.equal(await s.messages.expireOverdue(60), 1);
      assert.equal((await s.messages.get(b!.id))?.state, 'expired');
    });

    test('changeState follows the state machine; final states stay final; engagement is OR-ed', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      const c1 = await s.messages.changeState(a!.id, { to: 'cancelled', at: 5, source: 'api', type: 'cancelled' });
      assert.equal(c1.kind, 'changed');
      const c2 = await s.messages.changeState(a!.id, {
        to: 'delivered',
        at: 6,
        source: 'receipt',
        type: 'delivered',
        engagement: 1,
      });
      assert.equal(c2.kind, 'unchanged');
      const m = await s.messages.get(a!.id);
      assert.equal(m?.state, 'cancelled');
      assert.equal(m?.engagement, 1);
      assert.equal(
        (
          await s.messages.changeState('00000000-0000-7000-8000-000000000000', {
            to: 'cancelled',
            at: 1,
            source: 'api',
            type: 'x',
          })
        ).kind,
        'not_found',
      );
    });

    test('changeStateByProviderId finds the message by the provider id', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 1000 });
      await s.messages.complete([
        {
          id: a!.id,
          owner: 'w',
          to: 'sent',
          at: 2,
          countsAttempt: true,
          providerMessageId: 'P-1',
          event: { type: 'sent', source: 'worker' },
        },
      ]);
      const r = await s.messages.changeStateByProviderId('P-1', {
        to: 'delivered',
        at: 3,
        source: 'receipt',
        type: 'delivered',
      });
      assert.equal(r.kind, 'changed');
      assert.equal((await s.messages.get(a!.id))?.state, 'delivered');
    });

    test('retry re-queues only failed, expired or bounced messages with a fresh budget', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      assert.equal((await s.messages.retry(a!.id, 5, 3)).kind, 'unchanged');
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 1000 });
      await s.messages.complete([
        {
          id: a!.id,
          owner: 'w',
          to: 'failed',
          at: 2,
          countsAttempt: true,
          reason: 'boom',
          event: { type: 'failed', source: 'worker' },
        },
      ]);
      const r = await s.messages.retry(a!.id, 10, 5);
      assert.equal(r.kind, 'changed');
      const m = await s.messages.get(a!.id);
      assert.equal(m?.state, 'queued');
      assert.equal(m?.attempts, 0);
      assert.equal(m?.maxAttempts, 5);
      assert.equal(m?.reason, null);
    });

    test('list filters and pages newest first without gaps or repeats', async () => {
      const s = await fresh();
      const batch = Array.from({ length: 25 }, (_, i) =>
        webhookMessage(`http://e.com/${i}`, {
          channel: i % 2 ? 'webhook' : 'sms',
          recipient: i % 2 ? `http://e.com/${i}` : '79000000000',
        }),
      );
      await s.messages.insertMany(batch, 1);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await s.messages.list({}, 7, cursor);
        seen.push(...page.items.map((m) => m.id));
        if (!page.nextCursor) break;
        cursor = page.nextCursor;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      assert.deepEqual([...seen].sort().reverse(), seen);
      const sms = await s.messages.list({ channel: 'sms' }, 100);
      assert.equal(sms.items.length, 13);
      const none = await s.messages.list({ since: Date.now() + 60_000 }, 100);
      assert.equal(none.items.length, 0);
    });

    test('two claimers never take the same message', async () => {
      const s = await fresh();
      await s.messages.insertMany(
        Array.from({ length: 400 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
        1,
      );
      const claimed: string[] = [];
      await Promise.all(
        ['a', 'b', 'c', 'd'].map(async (owner) => {
          for (;;) {
            const got = await s.messages.claim({ owner, limit: 17, now: 10, leaseMs: 10_000 });
            if (got.length === 0) break;
            claimed.push(...got.map((m) => m.id));
          }
        }),
      );
      assert.equal(claimed.length, 400);
      assert.equal(new Set(claimed).size, 400);
    });

    test('countByState counts the queue', async () => {
      const s = await fresh();
      await s.messages.insertMany([webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')], 1);
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 10 });
      assert.deepEqual(await s.messages.countByState(), { queued: 1, sending: 1 });
    });

    test('findByProviderMessageId answers the newest message the provider knows by that id', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')],
        1,
      );
      await s.messages.claim({ owner: 'w', limit: 2, now: 1, leaseMs: 1000 });
      const sent = (id: string) => ({
        id,
        owner: 'w',
        to: 'sent' as const,
        at: 2,
        countsAttempt: true,
        providerMessageId: 'P-9',
        event: { type: 'sent', source: 'worker' },
      });
      await s.messages.complete([sent(a!.id), sent(b!.id)]);
      assert.deepEqual(await s.messages.findByProviderMessageId('P-9'), { id: b!.id, state: 'sent' });
      assert.equal(await s.messages.findByProviderMessageId('P-0'), undefined);
    });

    test('recipients.lastByUniqueId finds the newest message of that kind to that recipient', async () => {
      const s = await fresh();
      const url = 'http://e.com/u';
      const [, second] = await s.messages.insertMany(
        [
          webhookMessage(url, { uniqueId: 'welcome' }),
          webhookMessage(url, { uniqueId: 'welcome' }),
          webhookMessage(url, { uniqueId: 'other' }),
        ],
        1,
      );
      assert.equal((await s.recipients.lastByUniqueId(url, 'welcome'))?.id, second!.id);
      assert.equal(await s.recipients.lastByUniqueId('http://e.com/nobody', 'welcome'), undefined);
    });

    test('outbox keeps the first copy of a message and lists newest first', async () => {
      const s = await fresh();
      const entry = (id: string, recipient: string) => ({
        id,
        channel: 'email' as const,
        provider: 'outbox-email',
        recipient,
        sender: 'a@example.com',
        subject: 'Hi',
        text: `to ${recipient}`,
        html: null,
        metadata: { n: 1 },
        createdAt: 5,
      });
      await s.outbox.insertMany([entry('01', 'x@example.com'), entry('02', 'y@example.com')]);
      await s.outbox.insertMany([{ ...entry('01', 'x@example.com'), text: 'again' }]);
      assert.equal((await s.outbox.get('01'))?.text, 'to x@example.com');
      assert.deepEqual((await s.outbox.get('02'))?.metadata, { n: 1 });
      const page = await s.outbox.list({}, 1);
      assert.deepEqual(
        page.items.map((e) => e.id),
        ['02'],
      );
      const next = await s.outbox.list({}, 5, page.nextCursor ?? undefined);
      assert.deepEqual(
        next.items.map((e) => e.id),
        ['01'],
      );
      assert.equal((await s.outbox.list({ recipient: 'y@example.com' }, 5)).items.length, 1);
    });

    test('screening looks up suppressions, and opt-outs only for recipients with categories', async () => {
      const s = await fresh();
      await s.suppressions.add({ recipient: 'x@example.com', reason: 'bounced', source: 'bounce', createdAt: 1 });
      await s.preferences.set('y@example.com', 8, 1);
      await s.preferences.set('z@example.com', 4, 1);
      const r = await s.screening.lookup(
        ['x@example.com', 'y@example.com', 'z@example.com', 'w@example.com'],
        new Set(['y@example.com']),
      );
      assert.deepEqual([...r.suppressions.keys()], ['x@example.com']);
      assert.equal(r.suppressions.get('x@example.com')?.source, 'bounce');
      assert.deepEqual([...r.optOuts], [['y@example.com', 8]]);
    });

    test('the new repositories write in the caller transaction and roll back with it', async () => {
      const s = await fresh();
      await assert.rejects(
        s.transaction(async (tx) => {
          await tx.suppressions.add({ recipient: 'r@example.com', reason: null, source: 'api', createdAt: 1 });
          await tx.preferences.set('r@example.com', 8, 1);
          await tx.outbox.insertMany([
            {
              id: '03',
              channel: 'sms',
              provider: 'outbox-sms',
              recipient: '7900',
              sender: null,
              subject: null,
              text: 'hi',
              html: null,
              metadata: null,
              createdAt: 1,
            },
          ]);
          const seen = await tx.screening.lookup(['r@example.com'], new Set(['r@example.com']));
          assert.equal(seen.suppressions.size, 1, 'the transaction sees its own writes');
          assert.equal(seen.optOuts.get('r@example.com'), 8);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      const after = await s.screening.lookup(['r@example.com'], new Set(['r@example.com']));
      assert.equal(after.suppressions.size + after.optOuts.size, 0);
      assert.equal(await s.outbox.get('03'), undefined);
    });
  });
}
