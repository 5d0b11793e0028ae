import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { freshStore, BACKENDS } from './helpers/stores.ts';
import { ManualClock } from '../src/domain/clock.ts';
import type { NewMessage } from '../src/domain/message.ts';
import type { MessageState } from '../src/domain/states.ts';
import { createMetrics } from '../src/metrics.ts';
import { RetentionJob } from '../src/services/retention.ts';
import type { Store } from '../src/store/store.ts';
import type { PurgeBatch } from '../src/store/retention.repo.ts';

const DAY = 86_400_000;
/** Ids are UUIDv7 and never go backwards in a process: each test lives later than the one before. */
let base = Date.now() + 400 * DAY;
const nextTime = () => (base += 400 * DAY);

function message(channel: 'email' | 'sms' | 'webhook', state: MessageState): NewMessage {
  return {
    channel,
    recipient: channel === 'email' ? 'a@example.com' : channel === 'sms' ? '+79001112233' : 'https://example.com/h',
    text: 'x',
    priority: 0,
    categories: 0,
    lane: 'p1',
    provider: 'p1',
    dueAt: 0,
    maxAttempts: 3,
    state,
  };
}

/** Attempts and events for every message (as a delivery would leave them). */
async function addHistory(store: Store, at: number): Promise<void> {
  for (;;) {
    const claimed = await store.messages.claim({ owner: 'h', limit: 1000, now: at + 1, leaseMs: 60_000 });
    if (claimed.length === 0) return;
    await store.messages.complete(
      claimed.map((m) => ({
        id: m.id,
        owner: 'h',
        to: 'delivered' as const,
        at,
        countsAttempt: true,
        attempt: {
          number: 1,
          provider: 'p1',
          startedAt: at,
          durationMs: 3,
          outcome: 'ok' as const,
          statusCode: 200,
          response: null,
          error: null,
        },
        event: { type: 'delivered', source: 'test' },
      })),
    );
  }
}

for (const backend of BACKENDS) {
  void describe(`retention: ${backend}`, () => {
    void test('purges final messages past their channel limit, with attempts and events, in batches; keeps counters', async () => {
      const now = nextTime();
      const store = await freshStore(backend);
      try {
        // 40 days old: 250 e-mails (delivered, with an attempt and an event each), open messages, SMS and webhooks.
        await store.messages.insertMany(
          Array.from({ length: 250 }, () => message('email', 'queued')),
          now - 40 * DAY,
        );
        await addHistory(store, now - 40 * DAY);
        await store.messages.insertMany(
          [
            message('email', 'queued'), // open: never purged
            message('email', 'sent'), // open
            message('sms', 'failed'),
            message('webhook', 'delivered'),
          ],
          now - 40 * DAY,
        );
        // 10 days old: SMS are kept 7 days (override), e-mail 30 (default).
        await store.messages.insertMany([message('sms', 'delivered'), message('email', 'failed')], now - 10 * DAY);
        await store.messages.insertMany([message('sms', 'delivered')], now - DAY);
        await store.stats.add([
          {
            minute: now - 40 * DAY - ((now - 40 * DAY) % 60_000),
            channel: 'email',
            provider: 'p1',
            accepted: 250,
            sent: 0,
            delivered: 250,
            failed: 0,
            retried: 0,
            segments: 0,
            latencyMsSum: 0,
            latency: Array<number>(13).fill(0),
          },
        ]);
        const totalsBefore = await store.stats.totals(0, now);

        const batches: PurgeBatch[] = [];
        const spy: Store = {
          ...store,
          retention: { purgeBatch: (b: PurgeBatch) => (batches.push(b), store.retention.purgeBatch(b)) },
        } as Store;
        const metrics = createMetrics();
        const job = new RetentionJob({
          store: spy,
          clock: new ManualClock(now),
          logger: pino({ level: 'silent' }),
          metrics,
          policy: { days: 30, channels: { sms: 7, webhook: 0 } },
          batchSize: 100,
          share: 1,
        });
        const r = await job.runOnce();
        assert.deepEqual(
          { messages: r.messages, attempts: r.attempts, events: r.events },
          { messages: 252, attempts: 250, events: 250 },
        );
        assert.deepEqual(
          batches.map((b) => [b.channel, b.limit]),
          [
            ['email', 100],
            ['email', 100],
            ['email', 100],
            ['sms', 100],
          ],
          'e-mail in three batches of at most 100; webhooks kept forever (0)',
        );
        const left = await store.messages.list({}, 100);
        assert.deepEqual(left.items.map((m) => `${m.channel}:${m.state}`).sort(), [
          'email:failed',
          'email:queued',
          'email:sent',
          'sms:delivered',
          'webhook:delivered',
        ]);
        assert.deepEqual(await store.stats.totals(0, now), totalsBefore, "the dashboard's counters are kept");
        const text = await metrics.registry.metrics();
        assert.match(text, /herald_retention_purged_rows_total\{table="messages"\} 252/);
        assert.match(text, /herald_retention_purged_rows_total\{table="attempts"\} 250/);

        const again = await job.runOnce();
        assert.equal(again.messages, 0, 'nothing left: the next run deletes nothing');
      } finally {
        await store.close();
      }
    });

    void test('two purges at once delete each row once', async () => {
      const now = nextTime();
      const store = await freshStore(backend);
      try {
        await store.messages.insertMany(
          Array.from({ length: 300 }, () => message('sms', 'failed')),
          now - 40 * DAY,
        );
        const batch = { before: now - 30 * DAY, channel: 'sms', limit: 50 };
        const drain = async () => {
          let n = 0;
          for (let i = 0; i < 100; i++) {
            const r = await store.retention.purgeBatch(batch);
            n += r.messages;
            if (r.messages === 0) break;
          }
          return n;
        };
        const [a, b] = await Promise.all([drain(), drain()]);
        assert.equal(a + b, 300);
        assert.equal((await store.messages.list({}, 10)).items.length, 0);
      } finally {
        await store.close();
      }
    });
  });
}
