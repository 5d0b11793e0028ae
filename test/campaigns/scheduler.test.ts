import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ManualClock } from '../../src/domain/clock.ts';
import { CampaignScheduler } from '../../src/campaigns/scheduler.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { Store } from '../../src/store/store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { StoreUnavailableError } from '../../src/store/faults.ts';
import { eventually } from '../helpers/herald.ts';
import { campaignKit, contact, fields, HOUR, messagesPerContact, stopSchedulers, T0 } from './helpers.ts';

const opened: Store[] = [];

/**
 * In-memory SQLite: its statements complete in the same turn of the event loop, as ManualClock's
 * advanceAsync expects (a database file runs on its own thread: each statement a real round trip).
 */
async function memoryStore(): Promise<Store> {
  const store = await openStore({ url: 'sqlite::memory:' });
  await store.migrate();
  return store;
}
after(async () => {
  await stopSchedulers();
  for (const s of opened) await s.close();
});

test('a failing pass is logged and counted, and the next pass carries on', async () => {
  const store = await memoryStore();
  opened.push(store);
  await store.contacts.insertMany([contact(1), contact(2)], T0);
  const { service } = campaignKit(store);
  const c = await service.create(fields({ startAt: T0 + HOUR }));
  let failures = 1;
  const flaky: Store = {
    ...store,
    // The real repository, but the first dueToStart fails (an object over it: class methods stay).
    campaigns: Object.assign(Object.create(store.campaigns) as Store['campaigns'], {
      dueToStart: (now: number) =>
        failures-- > 0 ? Promise.reject(new Error('database went away')) : store.campaigns.dueToStart(now),
    }),
  };
  const clock = new ManualClock(T0 + HOUR);
  const metrics = createMetrics();
  const scheduler = new CampaignScheduler({
    store: flaky,
    clock,
    logger: pino({ level: 'silent' }),
    metrics,
    maxAttempts: 3,
  });
  const first = await scheduler.tick();
  assert.equal(first.written, 0);
  const errors = await metrics.registry.getSingleMetricAsString('herald_loop_errors_total');
  assert.match(errors, /loop="scheduler"} 1/);
  const second = await scheduler.tick();
  assert.deepEqual(second.started, [c.id]);
  assert.equal((await messagesPerContact(store, c.id)).size, 2);
  await scheduler.stop();
});

test('the background loop starts a due campaign by itself', async () => {
  const store = await memoryStore();
  opened.push(store);
  await store.contacts.insertMany([contact(1)], T0);
  const clock = new ManualClock(T0);
  const { service } = campaignKit(store, clock);
  const c = await service.create(fields({ startAt: T0 + HOUR }));
  const scheduler = new CampaignScheduler({
    store,
    clock,
    logger: pino({ level: 'silent' }),
    maxAttempts: 3,
    tickMs: 20,
  });
  scheduler.start();
  try {
    // Its passes run on the clock (every tickMs): passes before the start time leave it scheduled…
    clock.set(T0 + HOUR - 1000);
    await clock.advanceAsync(500);
    assert.equal((await store.campaigns.get(c.id))?.state, 'scheduled');
    // …and the next pass after the start time (tickMs later) starts it.
    await clock.advanceAsync(500 + 20);
    await eventually(
      async () => ((await store.campaigns.get(c.id))?.state === 'running' ? true : undefined),
      5000,
      'the pass to finish',
    );
    assert.equal((await messagesPerContact(store, c.id)).size, 1);
  } finally {
    await scheduler.stop();
  }
});

test('passes back off on the clock while the store is unavailable, and return to tickMs after', async () => {
  const store = await memoryStore();
  opened.push(store);
  let down = true;
  let passes = 0;
  const flaky: Store = {
    ...store,
    campaigns: Object.assign(Object.create(store.campaigns) as Store['campaigns'], {
      dueToStart: (now: number) => {
        passes++;
        return down
          ? Promise.reject(new StoreUnavailableError('unreachable', new Error('Connection terminated')))
          : store.campaigns.dueToStart(now);
      },
    }),
  };
  const clock = new ManualClock(T0);
  const scheduler = new CampaignScheduler({
    store: flaky,
    clock,
    logger: pino({ level: 'silent' }),
    maxAttempts: 3,
    tickMs: 100,
  });
  scheduler.start();
  try {
    await clock.advanceAsync(10_000);
    // 100 ms doubling to 5 s: about 8 passes in 10 s instead of 100.
    assert.ok(passes >= 4 && passes <= 10, `${passes} passes while down`);
    down = false;
    await clock.advanceAsync(5000);
    const before = passes;
    await clock.advanceAsync(1000);
    assert.ok(passes - before >= 9, `${passes - before} passes in a second once back`);
  } finally {
    await scheduler.stop();
  }
});
