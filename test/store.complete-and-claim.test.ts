import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, storesOf } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
import { CompiledQuery } from 'kysely';
import { postgresClaimStep, postgresCompleteStep } from '../src/store/postgres-writes.ts';
import { databaseForTests } from '../src/store/open-store.ts';
import type { Completion } from '../src/store/store.ts';

/**
 * MessageRepo.completeAndClaim on both stores (docs/decisions/0029): the decisions and the next
 * claim in one transaction — on SQLite one call to its thread. Same results as complete() then
 * claim(); all or nothing.
 */

const done = (id: string, owner: string, over: Partial<Completion> = {}): Completion => ({
  id,
  owner,
  to: 'delivered',
  at: 10,
  countsAttempt: true,
  attempt: {
    number: 1,
    provider: 'webhook',
    startedAt: 5,
    durationMs: 2,
    outcome: 'ok',
    statusCode: 200,
    response: 'ok',
    error: null,
  },
  event: { type: 'delivered', source: 'worker' },
  ...over,
});

for (const backend of BACKENDS) {
  describe(`completeAndClaim: ${backend}`, () => {
    const fresh = storesOf(backend);

    test('applies the decisions (lease owner only), then claims the next messages, in priority order', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')],
        1,
      );
      await s.messages.claim({ owner: 'w', limit: 2, now: 1, leaseMs: 1000 });
      const [low, high, skipped] = await s.messages.insertMany(
        [
          webhookMessage('http://e.com/3', { priority: 0 }),
          webhookMessage('http://e.com/4', { priority: 9 }),
          webhookMessage('http://x.com/5'),
        ],
        2,
      );
      const r = await s.messages.completeAndClaim([done(a!.id, 'w'), done(b!.id, 'stranger')], {
        owner: 'w',
        limit: 10,
        now: 20,
        leaseMs: 1000,
        excludeLanes: ['webhook:http://x.com'],
      });
      assert.equal(r.applied, 1, 'a stranger cannot settle a leased message');
      assert.deepEqual(
        r.claimed.map((m) => m.id),
        [high!.id, low!.id],
      );
      assert.ok(r.claimed.every((m) => m.state === 'sending'));
      const again = await s.messages.claim({ owner: 'x', limit: 10, now: 1019, leaseMs: 1000 });
      assert.deepEqual(
        again.map((m) => m.id),
        [skipped!.id],
        'the claimed ones are leased',
      );
      const da = await s.messages.detail(a!.id);
      assert.equal(da?.state, 'delivered');
      assert.equal(da?.attemptLog.length, 1);
      assert.equal(da?.events.at(-1)?.toState, 'delivered');
      assert.equal((await s.messages.get(b!.id))?.state, 'sending');
    });

    test('a retry due at once: claimed in the same call on SQLite, by the next claim on PostgreSQL', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 1000 });
      const retry = done(a!.id, 'w', { to: 'queued', dueAt: 5, event: { type: 'retry_scheduled', source: 'worker' } });
      const r = await s.messages.completeAndClaim([retry], { owner: 'w', limit: 1, now: 20, leaseMs: 1000 });
      assert.equal(r.applied, 1);
      // SQLite runs the claim after the completions; PostgreSQL's one statement reads one snapshot,
      // in which the message is still `sending` (docs/decisions/0034).
      const next =
        backend === 'sqlite' ? r.claimed : await s.messages.claim({ owner: 'w', limit: 1, now: 21, leaseMs: 1000 });
      if (backend !== 'sqlite') assert.deepEqual(r.claimed, []);
      assert.deepEqual(
        next.map((m) => [m.id, m.attempts]),
        [[a!.id, 1]],
      );
    });

    test('more than 1000 decisions and a claim: all applied, the claim still made', async () => {
      const s = await fresh();
      const made = await s.messages.insertMany(
        Array.from({ length: 1203 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
        1,
      );
      assert.equal((await s.messages.claim({ owner: 'w', limit: 2000, now: 1, leaseMs: 1000 })).length, 1203);
      const [next] = await s.messages.insertMany([webhookMessage('http://e.com/next')], 2);
      const r = await s.messages.completeAndClaim(
        made.map((m) => done(m.id, 'w')),
        { owner: 'w', limit: 10, now: 20, leaseMs: 1000 },
      );
      assert.equal(r.applied, 1203);
      assert.deepEqual(
        r.claimed.map((m) => m.id),
        [next!.id],
      );
      assert.deepEqual(await s.messages.countByState(), { delivered: 1203, sending: 1 });
    });

    test('the claim skips the lanes it is told to, and every message it returns is whole', async () => {
      const s = await fresh();
      await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage("http://o'brien.com/2"), webhookMessage('http://x.com/3')],
        1,
      );
      const r = await s.messages.completeAndClaim([], {
        owner: 'w',
        limit: 10,
        now: 20,
        leaseMs: 1000,
        excludeLanes: ['webhook:http://e.com', "webhook:http://o'brien.com"],
      });
      assert.deepEqual(
        r.claimed.map((m) => m.recipient),
        ['http://x.com/3'],
      );
      const [m] = r.claimed;
      assert.equal(m!.state, 'sending');
      assert.deepEqual(m, await s.messages.get(m!.id));
    });

    test('with no decisions it is a claim; with no room it claims nothing', async () => {
      const s = await fresh();
      await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      const none = await s.messages.completeAndClaim([], { owner: 'w', limit: 0, now: 20, leaseMs: 1000 });
      assert.deepEqual(none, { applied: 0, claimed: [] });
      const one = await s.messages.completeAndClaim([], { owner: 'w', limit: 5, now: 20, leaseMs: 1000 });
      assert.equal(one.claimed.length, 1);
    });

    test('all or nothing: a decision the store refuses writes nothing and claims nothing', async () => {
      const s = await fresh();
      const [a, b] = await s.messages.insertMany(
        [webhookMessage('http://e.com/1'), webhookMessage('http://e.com/2')],
        1,
      );
      await s.messages.claim({ owner: 'w', limit: 2, now: 1, leaseMs: 1000 });
      await s.messages.insertMany([webhookMessage('http://e.com/3')], 2);
      const bad = done(b!.id, 'w');
      bad.attempt = { ...bad.attempt!, outcome: null as unknown as 'ok' }; // attempts.outcome is NOT NULL
      await assert.rejects(() =>
        s.messages.completeAndClaim([done(a!.id, 'w'), bad], { owner: 'w', limit: 5, now: 20, leaseMs: 1000 }),
      );
      assert.deepEqual(await s.messages.countByState(), { sending: 2, queued: 1 });
      assert.equal((await s.messages.detail(a!.id))?.attemptLog.length, 0);
    });
  });
}

describe('the PostgreSQL claim plan', () => {
  const fresh = storesOf('postgres');

  test('walks the claim index in order and finds the rows by key, even before statistics exist', async () => {
    const s = await fresh();
    // A new schema is never analyzed: the planner has only its defaults (decision 0034).
    await s.messages.insertMany(
      Array.from({ length: 3000 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
      1,
    );
    const explain = async (limit: number) => {
      const step = postgresClaimStep({ now: 5, limit, owner: 'w', leaseUntil: 10, excludeLanes: [] });
      const q = CompiledQuery.raw(`EXPLAIN ${step.sql}`, [...step.params]);
      const { rows } = await databaseForTests(s).executeQuery<{ 'QUERY PLAN': string }>(q);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    for (const limit of [10, 500]) {
      const plan = await explain(limit);
      assert.match(plan, /Index Scan using messages_claim/, plan);
      assert.doesNotMatch(plan, /Sort|Seq Scan/, plan);
    }
  });

  test('the UPDATE finds the picked rows by primary key, also when statistics say few are queued', async () => {
    const s = await fresh();
    const db = databaseForTests(s);
    await s.messages.insertMany(
      Array.from({ length: 3000 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
      1,
    );
    // Most messages settled, then analyzed: the planner expects a handful of queued rows, and the
    // re-check `state = 'queued'` would make it walk messages_claim and test each row against the
    // whole id array (decision 0038).
    await db.executeQuery(
      CompiledQuery.raw(
        `UPDATE messages SET state = 'delivered' WHERE id NOT IN (SELECT id FROM messages ORDER BY id LIMIT 30)`,
      ),
    );
    await db.executeQuery(CompiledQuery.raw('ANALYZE messages'));
    const step = postgresClaimStep({ now: 5, limit: 500, owner: 'w', leaseUntil: 10, excludeLanes: [] });
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${step.sql}`, [...step.params]),
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    const update = plan.slice(plan.indexOf('Update on messages'));
    assert.match(update, /Index Scan using messages_pkey on messages[^\n]*\n\s*Index Cond: \(id = ANY/, plan);
  });

  test('a small group of completions looks its messages up by key, not through every message in hand', async () => {
    const s = await fresh();
    const db = databaseForTests(s);
    await s.messages.insertMany(
      Array.from({ length: 2000 }, (_, i) => webhookMessage(`http://e.com/${i}`)),
      1,
    );
    const held = await s.messages.claim({ owner: 'w', limit: 1000, now: 5, leaseMs: 1000 });
    await db.executeQuery(CompiledQuery.raw('ANALYZE messages'));
    // 16 outcomes while 1000 are in hand (decision 0038): a hash join over the sending rows' partial
    // index would read all 1000 for 16 updates.
    const step = postgresCompleteStep(held.slice(0, 16).map((m) => done(m.id, 'w')));
    const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${step.sql}`, [...step.params]),
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    const update = plan.slice(plan.indexOf('Update on messages'), plan.indexOf('Insert on'));
    assert.match(update, /Index Scan using messages_pkey on messages[^\n]*\n\s*Index Cond: \(id = ANY/, plan);
    assert.doesNotMatch(update, /Seq Scan|messages_leases/, plan);
  });
});
