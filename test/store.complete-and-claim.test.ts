import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, storesOf } from './helpers/stores.ts';
import { webhookMessage } from './helpers/messages.ts';
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

    test('the claim runs after the decisions: a retry due at once may be claimed in the same call', async () => {
      const s = await fresh();
      const [a] = await s.messages.insertMany([webhookMessage('http://e.com/1')], 1);
      await s.messages.claim({ owner: 'w', limit: 1, now: 1, leaseMs: 1000 });
      const retry = done(a!.id, 'w', { to: 'queued', dueAt: 5, event: { type: 'retry_scheduled', source: 'worker' } });
      const r = await s.messages.completeAndClaim([retry], { owner: 'w', limit: 1, now: 20, leaseMs: 1000 });
      assert.equal(r.applied, 1);
      assert.deepEqual(
        r.claimed.map((m) => [m.id, m.attempts]),
        [[a!.id, 1]],
      );
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
