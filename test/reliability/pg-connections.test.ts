import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CampaignScheduler } from '../../src/campaigns/scheduler.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { StoreUnavailableError } from '../../src/store/faults.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { eventually, startHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { adminQuery, terminateSessions } from '../helpers/pg-admin.ts';
import { freshUrl } from '../helpers/stores.ts';

/**
 * Every PostgreSQL client error is handled (issue 9, item 3): pg_terminate_backend of this test's
 * own connections — a transaction in progress, the scheduler's held leader connection, a whole
 * running Herald — never ends the process, and everything recovers by itself.
 */

async function openNamed(name: string, schema: string, poolSize?: number) {
  const errors: Error[] = [];
  const store = await openStore({
    ...freshUrl('postgres'),
    schema,
    applicationName: name,
    poolSize,
    onConnectionError: (e) => errors.push(e),
  });
  await store.migrate();
  return { store, errors };
}

test('a transaction open during pg_terminate_backend fails alone (unavailable); the store carries on', async (t) => {
  const schema = freshUrl('postgres').schema!;
  const { store, errors } = await openNamed(`herald:${schema}`, schema);
  t.after(() => store.close());
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = store.transaction(async (trx) => {
    await trx.messages.countByState();
    entered();
    await gate;
    return trx.messages.countByState();
  });
  await inside;
  assert.ok((await terminateSessions(`herald:${schema}`)) >= 1);
  // The checked-out client hears of it first (its 'error' event): that must not be unhandled.
  await eventually(() => (errors.length > 0 ? true : undefined), 10_000, 'the connection error');
  release();
  await assert.rejects(tx, StoreUnavailableError);
  assert.deepEqual(await store.messages.countByState(), {});
});

test('the scheduler leader lock comes back after its connection is terminated, held by exactly one', async (t) => {
  const schema = freshUrl('postgres').schema!;
  // A pool of 2: a held connection leaked per outage would starve it after two.
  const a = await openNamed(`herald:${schema}:a`, schema, 2);
  const b = await openNamed(`herald:${schema}:b`, schema, 2);
  const scheduler = (store: Store) =>
    new CampaignScheduler({ store, clock: systemClock, logger: pino({ level: 'silent' }), maxAttempts: 3 });
  const sa = scheduler(a.store);
  const sb = scheduler(b.store);
  t.after(async () => {
    await sa.stop();
    await sb.stop();
    await a.store.close();
    await b.store.close();
  });
  const holders = async () =>
    (
      await adminQuery<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity s USING (pid)
         WHERE l.locktype = 'advisory' AND l.granted AND s.application_name LIKE $1`,
        [`herald:${schema}:%`],
      )
    )[0]!.n;
  assert.equal((await sa.tick()).leader, true);
  assert.equal((await sb.tick()).leader, false);
  for (let outage = 1; outage <= 4; outage++) {
    const seen = a.errors.length;
    assert.ok((await terminateSessions(`herald:${schema}:a`)) >= 1);
    await eventually(() => (a.errors.length > seen ? true : undefined), 10_000, 'the leader to notice');
    // The server drops the lock when the terminated backend has exited, a moment after telling the client.
    await eventually(async () => ((await holders()) === 0 ? true : undefined), 10_000, 'the lock to be free');
    // Whoever asks first after the outage leads, never both: a again three times (a leaked
    // connection per outage would starve its pool of 2), then b takes over.
    const takeOver = outage === 4;
    const first = await (takeOver ? sb : sa).tick();
    const second = await (takeOver ? sa : sb).tick();
    assert.deepEqual([first.leader, second.leader], [true, false], `outage ${outage}`);
    assert.equal(await holders(), 1, `outage ${outage}: one lock holder`);
  }
  assert.deepEqual(await a.store.messages.countByState(), {}, 'a still has pool connections to use');
});

test('a running Herald outlives pg_terminate_backend of all its connections and delivers afterwards', async (t) => {
  const sink = await startSink(() => ({ status: 200 }));
  t.after(() => sink.close());
  const h = await startHerald({ backend: 'postgres' });
  t.after(() => h.stop());
  const send = async (path: string) => {
    const r = await h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: { channel: 'webhook', url: `${sink.url}${path}` },
    });
    return r;
  };
  assert.equal((await send('/before')).statusCode, 202);
  await eventually(() => (sink.requests.length === 1 ? true : undefined), 10_000, 'first delivery');
  const name = `herald:${h.schema}`;
  assert.ok((await terminateSessions(name)) >= 2, 'the pool, the LISTEN session and the leader lock');
  // A request during the outage is 202 (the pool reconnects) or 503, never 500.
  const during = await send('/during');
  assert.ok([202, 503].includes(during.statusCode), during.body);
  await eventually(
    async () => ((await send('/after')).statusCode === 202 ? true : undefined),
    10_000,
    'the API to accept again',
  );
  await eventually(
    () => (sink.requests.some((r) => r.url === '/after') ? true : undefined),
    15_000,
    'a delivery after the outage',
  );
});
