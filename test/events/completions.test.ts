import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery } from 'kysely';
import { completeDeliveriesSteps } from '../../src/store/event-delivery-writes.ts';
import { databaseForTests, openStore } from '../../src/store/open-store.ts';
import type { Completion, Store } from '../../src/store/store.ts';
import { BACKENDS, freshUrl } from '../helpers/stores.ts';

const DAY = 86_400_000;

/** An attempt as the worker reports it. */
const attempt = (startedAt: number, statusCode: number | null, outcome: 'ok' | 'transient' | 'permanent') => ({
  number: 1,
  provider: 'events',
  startedAt,
  durationMs: 2.4,
  outcome,
  statusCode,
  response: outcome === 'ok' ? 'fine' : null,
  error: outcome === 'ok' ? null : `HTTP ${statusCode}`,
});

const completion = (id: string, to: Completion['to'], extra: Partial<Completion> = {}): Completion => ({
  id,
  owner: 'w',
  to,
  at: 3000,
  countsAttempt: true,
  event: { type: 'x', source: 'events' },
  ...extra,
});

/*
 * Completions of event deliveries (decision 0037): a group is one step list. These check what the
 * interactive transaction it replaced did, row by row, on both stores.
 */
for (const backend of BACKENDS) {
  describe(`event delivery completions: ${backend}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });
    const fresh = async () => {
      const s = await openStore(freshUrl(backend));
      opened.push(s);
      await s.migrate();
      return s;
    };
    const endpoint = async (s: Store, url: string) =>
      (await s.endpoints.create({ url, events: ['message.failed'] }, 0)).endpoint;
    const claimAll = async (s: Store, now: number) =>
      s.eventDeliveries.claim({ owner: 'w', limit: 100, now, leaseMs: 60_000 });

    test('a group settles what its lease holds, records those attempts, and keeps each endpoint’s failure run', async () => {
      const s = await fresh();
      const a = await endpoint(s, 'https://a.example/e');
      const b = await endpoint(s, 'https://b.example/e');
      // b is failing already: a success in the group ends its run, whatever else failed in it.
      const b0 = await s.eventDeliveries.ping(b.id, b.url, 500);
      await claimAll(s, 600);
      await s.eventDeliveries.complete([
        completion(b0, 'failed', { at: 1500, attempt: attempt(1500, 503, 'transient') }),
      ]);
      assert.equal((await s.endpoints.get(b.id))!.failingSince, 1500);

      const [a1, a2, a3] = [
        await s.eventDeliveries.ping(a.id, a.url, 1000),
        await s.eventDeliveries.ping(a.id, a.url, 1001),
        await s.eventDeliveries.ping(a.id, a.url, 1002),
      ];
      const [b1, b2] = [
        await s.eventDeliveries.ping(b.id, b.url, 1003),
        await s.eventDeliveries.ping(b.id, b.url, 1004),
      ];
      assert.equal((await claimAll(s, 2000)).length, 5);
      const applied = await s.eventDeliveries.complete(
        [
          completion(a1, 'queued', { dueAt: 9000, attempt: attempt(2002, 503, 'transient') }),
          completion(a2, 'failed', { reason: 'gone', attempt: attempt(2001, 410, 'permanent') }),
          // Another owner's completion (a lost lease): not applied, no attempt row, and its success counts for nothing.
          completion(a3, 'delivered', { owner: 'intruder', attempt: attempt(2000, 200, 'ok') }),
          completion(b1, 'delivered', { attempt: attempt(2003, 200, 'ok') }),
          completion(b2, 'queued', { dueAt: 2500, attempt: attempt(2004, 503, 'transient') }),
        ],
        { disableAfterMs: DAY },
      );
      assert.equal(applied, 4);
      assert.equal((await s.endpoints.get(a.id))!.failingSince, 2001, 'the run starts at the earliest failed attempt');
      assert.equal((await s.endpoints.get(b.id))!.failingSince, null, 'a success ends the run');
      assert.equal((await s.endpoints.get(a.id))!.enabled, true);

      const d1 = (await s.eventDeliveries.get(a1))!;
      assert.deepEqual([d1.state, d1.attempts, d1.dueAt, d1.statusCode, d1.updatedAt], ['queued', 1, 9000, 503, 3000]);
      assert.deepEqual(
        d1.attemptLog.map((x) => [x.number, x.startedAt, x.durationMs, x.outcome, x.statusCode, x.error]),
        [[1, 2002, 2, 'transient', 503, 'HTTP 503']],
      );
      const d2 = (await s.eventDeliveries.get(a2))!;
      assert.deepEqual([d2.state, d2.reason, d2.statusCode], ['failed', 'gone', 410]);
      const d3 = (await s.eventDeliveries.get(a3))!;
      assert.deepEqual([d3.state, d3.attempts, d3.attemptLog.length], ['sending', 0, 0]);
      const e1 = (await s.eventDeliveries.get(b1))!;
      assert.deepEqual([e1.state, e1.statusCode, e1.attemptLog[0]?.response], ['delivered', 200, 'fine']);

      // A release (no attempt, not counted) keeps the status code and the attempt count, and marks nothing.
      assert.deepEqual(
        (await claimAll(s, 3000)).map((m) => m.id),
        [b2],
      );
      assert.equal(
        await s.eventDeliveries.complete([completion(b2, 'queued', { countsAttempt: false, dueAt: 4000 })], {
          disableAfterMs: DAY,
        }),
        1,
      );
      const e2 = (await s.eventDeliveries.get(b2))!;
      assert.deepEqual(
        [e2.state, e2.attempts, e2.dueAt, e2.statusCode, e2.attemptLog.length],
        ['queued', 1, 4000, 503, 1],
      );
      assert.equal((await s.endpoints.get(b.id))!.failingSince, null);
    });

    test('an endpoint due to be disabled is disabled once, with one audit entry, when groups race', async () => {
      const s = await fresh();
      const e = await endpoint(s, 'https://a.example/e');
      const t0 = 10 * DAY;
      const first = await s.eventDeliveries.ping(e.id, e.url, t0);
      await claimAll(s, t0);
      await s.eventDeliveries.complete(
        [completion(first, 'failed', { at: t0, attempt: attempt(t0, null, 'transient') })],
        {
          disableAfterMs: 5 * DAY,
        },
      );
      const later = t0 + 6 * DAY;
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await s.eventDeliveries.ping(e.id, e.url, later));
      assert.equal((await claimAll(s, later)).length, 4);
      const group = (part: string[]) =>
        s.eventDeliveries.complete(
          part.map((id) => completion(id, 'failed', { at: later, attempt: attempt(later, null, 'transient') })),
          { disableAfterMs: 5 * DAY },
        );
      const applied = await Promise.all([group(ids.slice(0, 2)), group(ids.slice(2))]);
      assert.deepEqual(applied, [2, 2]);
      const after = (await s.endpoints.get(e.id))!;
      assert.equal(after.enabled, false);
      assert.equal(after.failingSince, t0);
      assert.equal(after.disabledAt, later);
      assert.equal(
        after.disabledReason,
        `disabled by Herald: every delivery failed for 6 days (since ${new Date(t0).toISOString()})`,
      );
      const audit = (await s.audit.list({ action: 'endpoint.disable' }, 10)).items;
      assert.equal(audit.length, 1, 'one audit entry');
      assert.deepEqual([audit[0]!.objectId, audit[0]!.actor.name], [e.id, 'herald']);
      assert.deepEqual(audit[0]!.detail, { reason: after.disabledReason, url: e.url });
    });

    test('outside text the store cannot hold in JSON is kept as U+FFFD, not a failed group', async () => {
      const s = await fresh();
      const e = await endpoint(s, 'https://a.example/e');
      const id = await s.eventDeliveries.ping(e.id, e.url, 0);
      await claimAll(s, 0);
      // An excerpt cut inside a surrogate pair ends in a lone high surrogate.
      const cut = '\u{1F600}'.slice(0, 1);
      const a = { ...attempt(0, 500, 'transient'), response: `x${cut}…`, error: 'a\u0000b' };
      assert.equal(await s.eventDeliveries.complete([completion(id, 'failed', { reason: `r${cut}`, attempt: a })]), 1);
      const d = (await s.eventDeliveries.get(id))!;
      assert.deepEqual(
        [d.reason, d.attemptLog[0]?.response, d.attemptLog[0]?.error],
        ['r\uFFFD', 'x\uFFFD…', 'a\uFFFDb'],
      );
    });

    test('without the disable option nothing is disabled', async () => {
      const s = await fresh();
      const e = await endpoint(s, 'https://a.example/e');
      const id = await s.eventDeliveries.ping(e.id, e.url, 0);
      await claimAll(s, 0);
      await s.eventDeliveries.complete([
        completion(id, 'failed', { at: 30 * DAY, attempt: attempt(0, 500, 'transient') }),
      ]);
      const after = (await s.endpoints.get(e.id))!;
      assert.deepEqual([after.enabled, after.failingSince], [true, 0]);
    });

    test('pings and replays are queued in the endpoint’s lane, as the dispatcher queues its deliveries', async () => {
      const s = await fresh();
      const e = await endpoint(s, 'https://a.example/e');
      const ping = await s.eventDeliveries.ping(e.id, e.url, 1000);
      const p = (await s.eventDeliveries.get(ping))!;
      assert.deepEqual(
        [p.state, p.maxAttempts, p.attempts, p.type, p.endpointId, p.url, p.replayOf],
        ['queued', 1, 0, 'endpoint.ping', e.id, e.url, null],
      );
      const [claimed] = await claimAll(s, 1000);
      assert.equal(claimed!.lane, `event:${e.id}`);
      await s.eventDeliveries.complete([completion(ping, 'failed', { attempt: attempt(1000, 500, 'transient') })]);

      assert.equal(await s.eventDeliveries.replay(e.id, { failedSince: 0 }, 5000, 4), 1);
      assert.equal(await s.eventDeliveries.replay(e.id, { eventId: p.eventId }, 6000, 2), 1);
      const all = (await s.eventDeliveries.list(e.id, {}, 10)).items;
      assert.equal(all.length, 3);
      const [second, first] = all;
      assert.deepEqual(
        [first!.replayOf, first!.eventId, first!.maxAttempts, first!.dueAt, first!.createdAt, first!.state],
        [ping, p.eventId, 4, 5000, 5000, 'queued'],
      );
      assert.deepEqual(first!.payload, p.payload);
      assert.equal(second!.replayOf, first!.id, 'a replay of an event replays its latest delivery');
      assert.equal(second!.maxAttempts, 2);
      const lanes = (await claimAll(s, 7000)).map((m) => m.lane);
      assert.deepEqual(lanes, [`event:${e.id}`, `event:${e.id}`]);
    });
  });
}

describe('the PostgreSQL plan of event-delivery completions', () => {
  test('a small group looks its deliveries up by key, not through every delivery in hand', async () => {
    const s = await openStore(freshUrl('postgres'));
    try {
      await s.migrate();
      const db = databaseForTests(s);
      const { endpoint } = await s.endpoints.create({ url: 'https://a.example/e', events: ['message.failed'] }, 0);
      await db.executeQuery(
        CompiledQuery.raw(
          `INSERT INTO event_deliveries (id, event_id, type, endpoint_id, url, lane, body, state, attempts,
             max_attempts, due_at, created_at, updated_at)
           SELECT 'd' || lpad(g::text, 6, '0'), 'e', 't', $1, 'u', 'event:' || $1, '{}', 'queued', 0, 8, 0, 0, 0
           FROM generate_series(1, 3000) AS g`,
          [endpoint.id],
        ),
      );
      const held = await s.eventDeliveries.claim({ owner: 'w', limit: 1000, now: 5, leaseMs: 1000 });
      assert.equal(held.length, 1000);
      await db.executeQuery(CompiledQuery.raw('ANALYZE event_deliveries'));
      // 16 outcomes while 1000 are in hand: a hash join over the sending rows' partial index
      // (event_deliveries_lease) would read all 1000 for 16 updates.
      const group = held.slice(0, 16).map((m) => completion(m.id, 'delivered', { attempt: attempt(5, 200, 'ok') }));
      const [step] = completeDeliveriesSteps(true, group, 0).steps;
      const { rows } = await db.executeQuery<{ 'QUERY PLAN': string }>(
        CompiledQuery.raw(`EXPLAIN ${step!.sql}`, [...step!.params]),
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      const update = plan.slice(plan.indexOf('Update on event_deliveries'), plan.indexOf('CTE done'));
      assert.match(
        update,
        /(Index Scan using event_deliveries_pkey on event_deliveries|Bitmap Index Scan on event_deliveries_pkey)[^\n]*\n\s*Index Cond: \(id = ANY/,
        plan,
      );
      assert.doesNotMatch(update, /Seq Scan|event_deliveries_lease/, plan);
    } finally {
      await s.close();
    }
  });
});
