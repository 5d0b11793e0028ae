import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../domain/clock.ts';
import type { Message, NewMessage } from '../domain/message.ts';
import { StoreUnavailableError } from '../store/faults.ts';
import { openStore } from '../store/open-store.ts';
import type { ClaimOptions, Completion, DeliveryQueue, Store } from '../store/store.ts';
import { CompletionWriter } from './completions.ts';

/**
 * A claim riding on the group commit of outcomes (docs/decisions/0029), on a real SQLite file
 * (its own thread): the claimed messages reach the worker exactly once, or are not claimed at all,
 * whatever happens to the group that carries the claim.
 */

const message = (i: number): NewMessage => ({
  channel: 'sms',
  recipient: `+7900000000${i}`,
  text: 'hi',
  priority: 0,
  categories: 0,
  lane: 'fake',
  dueAt: 0,
  maxAttempts: 3,
});

const delivered = (id: string, poison = false): Completion => ({
  id,
  owner: 'w',
  to: 'delivered',
  at: 10,
  countsAttempt: true,
  attempt: {
    number: 1,
    provider: 'fake',
    startedAt: 5,
    durationMs: 1,
    // attempts.outcome is NOT NULL: the store refuses this one item.
    outcome: (poison ? null : 'ok') as 'ok',
    statusCode: 200,
    response: null,
    error: null,
  },
  event: { type: 'delivered', source: 'worker' },
});

async function setup(n: number) {
  const store = await openStore({ url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-')), 'test.db')}` });
  await store.migrate();
  await store.messages.insertMany(
    Array.from({ length: n }, (_, i) => message(i)),
    1,
  );
  return store;
}

/** The message table, recording every message a successful completeAndClaim handed over. */
function recording(store: Store, fail?: () => boolean) {
  const handed: Message[] = [];
  let calls = 0;
  const queue: Pick<DeliveryQueue, 'complete' | 'completeAndClaim'> = {
    complete: (c) => store.messages.complete(c),
    completeAndClaim: async (c, o) => {
      calls++;
      if (fail?.()) throw new StoreUnavailableError('full', new Error('database or disk is full'));
      const r = await store.messages.completeAndClaim(c, o);
      handed.push(...r.claimed);
      return r;
    },
  };
  return { queue, handed, calls: () => calls };
}

const claimOf =
  (limit: number): (() => ClaimOptions) =>
  () => ({ owner: 'w', limit, now: 20, leaseMs: 60_000 });

test('a group split on a bad item carries its claim exactly once, and writes the good outcomes', async () => {
  const store = await setup(10);
  const held = await store.messages.claim({ owner: 'w', limit: 4, now: 1, leaseMs: 60_000 });
  const { queue, handed, calls } = recording(store);
  const errors: unknown[] = [];
  const writer = new CompletionWriter({
    store,
    queue,
    clock: new ManualClock(0),
    onError: (e) => errors.push(e),
    onGiveUp: () => assert.fail('nothing is given up'),
  });
  const [a, b, c, d] = held.map((m) => m.id);
  const written = writer.write([delivered(a!), delivered(b!, true), delivered(c!), delivered(d!)]);
  const claimed = await writer.claimAlong(claimOf(3));
  await written;
  assert.ok(calls() > 1, 'the group was split after its first flush failed');
  assert.equal(errors.length, 1, 'the bad item is reported');
  assert.equal(claimed?.length, 3);
  assert.deepEqual(
    handed.map((m) => m.id),
    claimed.map((m) => m.id),
    'only the flush that committed handed messages over',
  );
  assert.ok(claimed.every((m) => !held.some((h) => h.id === m.id)));
  const counts = await store.messages.countByState();
  assert.deepEqual(counts, { delivered: 3, sending: 4, queued: 3 }, 'b stays leased; 3 claimed once');
  await store.close();
});

test('a claim no flush can carry is answered null (the worker claims by itself); a failed one claims nothing', async () => {
  const store = await setup(5);
  const held = await store.messages.claim({ owner: 'w', limit: 2, now: 1, leaseMs: 60_000 });
  let down = true;
  const { queue, handed } = recording(store, () => down);
  const writer = new CompletionWriter({
    store,
    queue,
    clock: new ManualClock(0),
    onError: () => {},
    onGiveUp: () => {},
  });
  assert.equal(await writer.claimAlong(claimOf(3)), null, 'nothing in flight: claim by yourself');
  // The store is unavailable: the group (and its claim) fails whole; the outcome is kept for later.
  const written = writer.write([delivered(held[0]!.id)]);
  assert.equal(await writer.claimAlong(claimOf(3)), null);
  assert.equal(handed.length, 0);
  assert.deepEqual(await store.messages.countByState(), { sending: 2, queued: 3 }, 'nothing claimed');
  down = false;
  await writer.close(1000);
  await written;
  await store.close();
});
