import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore } from './helpers/stores.ts';
import type { Store } from '../src/store/store.ts';
import { Ingest } from '../src/queue/ingest.ts';
import { createMetrics } from '../src/metrics.ts';
import { systemClock } from '../src/domain/clock.ts';
import { RecipientScreen } from '../src/services/screening.ts';
import type { NewMessage } from '../src/domain/message.ts';

const email = (to: string, categories = 0): NewMessage => ({
  channel: 'email',
  recipient: to,
  sender: 'a@example.com',
  subject: 's',
  text: 't',
  priority: 0,
  categories,
  lane: 'email',
  dueAt: 0,
  maxAttempts: 3,
});

/** Screening at ingest is one lookup per group commit, and it decides the stored state. */
for (const backend of BACKENDS) {
  void describe(`ingest screening: ${backend}`, () => {
    const stores: Store[] = [];
    after(async () => {
      for (const s of stores) await s.close();
    });

    void test('requests of one group are screened together, once', async () => {
      const store = await freshStore(backend);
      stores.push(store);
      await store.suppressions.add({
        recipient: 'x@example.com',
        reason: null,
        source: 'api',
        createdAt: 1,
      });
      await store.preferences.set('y@example.com', 8, 1);
      const screen = new RecipientScreen({ store });
      const groups: number[] = [];
      const ingest = new Ingest({
        store,
        clock: systemClock,
        metrics: createMetrics(),
        screen: async (m) => {
          groups.push(m.length);
          await screen.screenNew(m);
        },
      });
      const requests = [
        [email('X@example.com'), email('z@example.com')],
        [email('y@example.com', 8)],
        [email('y@example.com', 16)],
        Array.from({ length: 100 }, (_, i) => email(`bulk${i}@example.com`, 2)),
      ];
      const results = await Promise.all(requests.map((r) => ingest.submit(r)));
      assert.deepEqual(groups, [104], 'one screening call for the whole group');
      assert.deepEqual(
        results.slice(0, 3).map((r) => r.map((x) => x.state)),
        [['suppressed', 'queued'], ['suppressed'], ['queued']],
      );
      assert.ok(results[3]!.every((r) => r.state === 'queued'));
      const stored = await store.messages.get(results[1]![0]!.id);
      assert.equal(stored!.reason, 'recipient opted out of category 8');
    });
  });
}
