import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ManualClock } from '../../src/domain/clock.ts';
import { createMetrics } from '../../src/metrics.ts';
import type { DeliveryResult } from '../../src/providers/provider.ts';
import { ProviderStats } from '../../src/providers/stats/provider-stats.ts';
import { quantile as q } from '../../src/stats/quantile.ts';
import { LATENCY_BUCKETS_MS } from '../../src/store/provider-stats.repo.ts';

const quantile = (b: number[], x: number) => q(b, LATENCY_BUCKETS_MS, x);
import type { Store } from '../../src/store/store.ts';
import { BACKENDS, freshStore } from '../helpers/stores.ts';

const ok: DeliveryResult = { ok: true, state: 'sent' };
const transient: DeliveryResult = { ok: false, retry: 'transient', blame: 'provider', reason: 'x' };
const permanent: DeliveryResult = { ok: false, retry: 'permanent', blame: 'recipient', reason: 'y' };

test('quantiles interpolate inside latency buckets', () => {
  // 10 calls in the ≤5 ms bucket, 10 in (50, 100].
  const latency = [10, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.equal(quantile(latency, 0.5), 5);
  assert.equal(quantile(latency, 0.75), 75);
  assert.equal(quantile(latency, 1), 100);
  assert.equal(
    quantile(
      latency.map(() => 0),
      0.5,
    ),
    null,
  );
  const slow = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3];
  assert.equal(quantile(slow, 0.99), 30_000, 'the open last bucket answers its lower bound');
});

for (const backend of BACKENDS) {
  describe(`provider stats: ${backend}`, () => {
    const stores: Store[] = [];
    after(async () => {
      for (const s of stores) await s.close();
    });

    test('calls are aggregated in memory, flushed additively, and summed per window', async () => {
      const store = await freshStore(backend);
      stores.push(store);
      const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 30));
      const deps = { store, clock, metrics: createMetrics(), logger: pino({ level: 'silent' }) };
      const a = new ProviderStats(deps);
      const b = new ProviderStats(deps); // a second process writing the same rows
      a.record({ provider: 'sms', results: [ok, ok, transient], latencyMs: 40, at: clock.now() });
      a.record({ provider: 'sms', results: [permanent], latencyMs: 4, at: clock.now() });
      b.record({ provider: 'sms', results: [ok], latencyMs: 300, at: clock.now() });
      b.record({ provider: 'mail', results: [ok], latencyMs: 1, at: clock.now() - 2 * 3600_000 });
      assert.equal((await a.window(60_000)).size, 0, 'nothing is written before a flush');
      await a.flush();
      await b.flush();
      await a.flush(); // nothing pending: no double counting
      const minute = await a.window(60_000);
      const sms = minute.get('sms')!;
      assert.equal(sms.calls, 3);
      assert.equal(sms.messages, 5);
      assert.equal(sms.ok, 3);
      assert.equal(sms.transient, 1);
      assert.equal(sms.permanent, 1);
      assert.equal(sms.latencyMsSum, 344);
      assert.equal(minute.has('mail'), false, 'two hours ago is outside the last minute');
      assert.equal((await a.window(86_400_000)).get('mail')!.calls, 1);
      clock.advance(5 * 60_000);
      assert.equal((await a.window(60_000)).size, 0, 'five minutes later the minute window is empty');
      assert.equal((await a.window(3600_000)).get('sms')!.calls, 3);
      await a.stop();
      await b.stop();
    });
  });
}
