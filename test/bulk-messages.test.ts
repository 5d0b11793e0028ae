import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from './helpers/herald.ts';
import { BACKENDS } from './helpers/stores.ts';
import type { NewMessage } from '../src/domain/message.ts';
import type { MessageState } from '../src/domain/states.ts';
import { idFloor } from '../src/store/messages.repo.ts';
import { ManualClock } from '../src/domain/clock.ts';

const HOUR = 3_600_000;
/**
 * Ids are UUIDv7 and never go backwards in a process, and time filters work on ids: each test
 * runs at its own time, later than everything before it, so back-dated messages get back-dated ids.
 */
let base = Date.now() + 1000 * HOUR;
const nextTime = () => (base += 1000 * HOUR);

function sms(over: Partial<NewMessage> = {}): NewMessage {
  return {
    channel: 'sms',
    recipient: '+79001234567',
    text: 'hi',
    priority: 0,
    categories: 0,
    lane: 'p1',
    provider: 'p1',
    dueAt: 0,
    maxAttempts: 3,
    ...over,
  };
}

/** Retry and cancel by filter (POST /v1/messages/retry|cancel) on both stores. */
for (const backend of BACKENDS) {
  void describe(`bulk retry/cancel: ${backend}`, () => {
    const started: TestHerald[] = [];
    let now = 0;
    let clock = new ManualClock();
    // Starts 20 hours before `now` (its API key gets an early id); calls run at `now` (see post).
    const start = async () => {
      now = nextTime();
      clock = new ManualClock(now - 20 * HOUR, { realTimers: true });
      const h = await startHerald({ backend, roles: ['api'], clock });
      started.push(h);
      return h;
    };
    after(async () => {
      for (const h of started) await h.stop();
    });
    const post = (h: TestHerald, url: string, payload: object) => {
      clock.set(now);
      return h.inject({ method: 'POST', url, headers: h.auth, payload });
    };
    const seed = (h: TestHerald, n: number, over: Partial<NewMessage>, at = now - HOUR) =>
      h.rt.store.messages.insertMany(
        Array.from({ length: n }, () => sms(over)),
        at,
      );
    const states = async (h: TestHerald) => h.rt.store.messages.countByState();

    void test('dryRun counts and changes nothing; the run retries every page, and says what it did', async () => {
      const h = await start();
      await seed(h, 1201, { state: 'failed', reason: 'outage' });
      await seed(h, 40, { state: 'failed', provider: 'p2', lane: 'p2' });
      await seed(h, 30, { state: 'delivered' });
      await seed(h, 20, { state: 'bounced' });
      const before = await states(h);

      const dry = await post(h, '/v1/messages/retry', { provider: 'p1', dryRun: true });
      assert.equal(dry.statusCode, 200, dry.body);
      assert.deepEqual(dry.json(), {
        dryRun: true,
        matched: 1251,
        eligible: 1221,
        changed: 0,
        skipped: 30,
        operation: null,
      });
      assert.deepEqual(await states(h), before, 'a dry run changes nothing');

      const run = await post(h, '/v1/messages/retry', { provider: 'p1', maxAttempts: 7 });
      assert.equal(run.statusCode, 200, run.body);
      const out = run.json();
      assert.equal(out.dryRun, false);
      assert.equal(out.matched, 1251);
      assert.equal(out.changed, 1221, 'more than two pages of 500');
      assert.equal(out.skipped, 30);
      assert.match(out.operation, /^[0-9a-f-]{36}$/);
      assert.deepEqual(await states(h), { queued: 1221, failed: 40, delivered: 30 });

      const page = await h.rt.store.messages.list({ provider: 'p1', state: 'queued' }, 500);
      assert.ok(page.items.every((m) => m.attempts === 0 && m.maxAttempts === 7 && m.reason === null));
      const d = await h.rt.store.messages.detail(page.items.at(-1)!.id); // newest first: the last is a failed one
      assert.deepEqual(
        d!.events.map((e) => [e.type, e.fromState, e.toState, e.detail]),
        [['retry', 'failed', 'queued', `bulk ${out.operation}`]],
      );
      const audit = (await h.rt.store.audit.list({ action: 'message.bulk_retry' }, 10)).items;
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.objectId, out.operation);
      assert.equal(audit[0]!.actor.name, 'HERALD_API_KEY');
      assert.deepEqual(audit[0]!.detail, { filter: { provider: 'p1' }, matched: 1251, eligible: 1221, maxAttempts: 7 });

      const again = await post(h, '/v1/messages/retry', { provider: 'p1' });
      assert.equal(again.json().changed, 0, 'nothing left to retry');
      assert.equal(again.json().skipped, 1251);
    });

    void test('cancel: only queued messages, by campaign and time range; others are skipped', async () => {
      const h = await start();
      await seed(h, 7, { campaignId: 'c1' }, now - 10 * HOUR); // outside the time range
      await seed(h, 25, { campaignId: 'c1' }, now - 2 * HOUR);
      await seed(h, 5, { campaignId: 'c1', state: 'sending' }, now - 2 * HOUR);
      await seed(h, 3, { campaignId: 'c1', state: 'delivered' }, now - 2 * HOUR);
      await seed(h, 9, { campaignId: 'c2' }, now - 2 * HOUR); // another campaign
      const filter = {
        campaignId: 'c1',
        since: new Date(now - 3 * HOUR).toISOString(),
        until: new Date(now - HOUR).toISOString(),
      };
      const dry = await post(h, '/v1/messages/cancel', { ...filter, dryRun: true });
      assert.deepEqual(dry.json(), {
        dryRun: true,
        matched: 33,
        eligible: 25,
        changed: 0,
        skipped: 8,
        operation: null,
      });
      const run = (await post(h, '/v1/messages/cancel', filter)).json();
      assert.equal(run.changed, 25);
      assert.equal(run.skipped, 8);
      const s = await states(h);
      assert.deepEqual(s, { cancelled: 25, sending: 5, delivered: 3, queued: 16 });
      const audit = (await h.rt.store.audit.list({ action: 'message.bulk_cancel' }, 10)).items;
      assert.equal(audit.length, 1);
      assert.deepEqual(audit[0]!.detail!.filter, filter);
    });

    void test('a filter naming a state the operation does not apply to changes nothing', async () => {
      const h = await start();
      await seed(h, 4, { state: 'delivered' });
      const r = (await post(h, '/v1/messages/cancel', { state: 'delivered' })).json();
      assert.deepEqual([r.matched, r.eligible, r.changed, r.skipped], [4, 0, 0, 4]);
      assert.deepEqual(await states(h), { delivered: 4 });
    });

    void test('paging: each page is bounded, moves forward, and never takes messages newer than the start', async () => {
      const h = await start();
      await seed(h, 250, { state: 'failed' }, now - HOUR);
      await seed(h, 10, { state: 'failed' }, now + 1); // created "after" the operation began
      const states: MessageState[] = ['failed'];
      const action = { kind: 'retry' as const, at: now, maxAttempts: () => 2 };
      const sizes: number[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r = await h.rt.store.bulk.page({}, action, {
          states,
          below: idFloor(now + 1),
          after,
          limit: 100,
          detail: 'bulk t',
        });
        sizes.push(r.changed);
        after = r.next;
        if (after === null) break;
      }
      assert.deepEqual(sizes, [100, 100, 50]);
      assert.deepEqual(await h.rt.store.messages.countByState(), { queued: 250, failed: 10 });
    });

    void test('bad input is a 400; the per-message routes still answer', async () => {
      const h = await start();
      for (const bad of [
        { state: 'nope' },
        { other: 1 },
        { since: 'yesterday' },
        { dryRun: 'yes' },
        { maxAttempts: 0 },
      ]) {
        const r = await post(h, '/v1/messages/retry', bad);
        assert.equal(r.statusCode, 400, JSON.stringify(bad));
        assert.equal(r.json().error.code, 'HERALD_VALIDATION');
      }
      assert.equal((await post(h, '/v1/messages/cancel', { maxAttempts: 2 })).statusCode, 400, 'retry-only field');
      const [m] = await seed(h, 1, { state: 'failed' });
      const one = await post(h, `/v1/messages/${m!.id}/retry`, {});
      assert.equal(one.statusCode, 200, one.body);
      assert.equal(one.json().state, 'queued');
      const cancel = await post(h, `/v1/messages/${m!.id}/cancel`, {});
      assert.equal(cancel.json().state, 'cancelled');
      const spec = (await h.inject({ url: '/openapi.json' })).json();
      assert.equal(spec.paths['/v1/messages/retry'].post.operationId, 'bulkRetryMessages');
      assert.equal(spec.paths['/v1/messages/{id}/retry'].post.operationId, 'retryMessage');
    });
  });
}
