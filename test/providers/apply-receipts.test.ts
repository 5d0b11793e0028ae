import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { Engagement, type NewMessage } from '../../src/domain/message.ts';
import { applyReceipts } from '../../src/services/receipts.ts';
import type { Store } from '../../src/store/store.ts';
import { BACKENDS, freshStore } from '../helpers/stores.ts';

const email = (recipient: string): NewMessage => ({
  channel: 'email',
  recipient,
  sender: 'shop@example.com',
  subject: 's',
  text: 't',
  priority: 0,
  categories: 0,
  lane: 'email',
  dueAt: 0,
  maxAttempts: 3,
});

for (const backend of BACKENDS) {
  describe(`applyReceipts: ${backend}`, () => {
    const stores: Store[] = [];
    after(async () => {
      for (const s of stores) await s.close();
    });

    /** A message that a provider accepted as `pid`. */
    async function sentMessage(store: Store, pid: string): Promise<string> {
      const [r] = await store.messages.insertMany([email(`${pid}@example.com`)], 1000);
      const [m] = await store.messages.claim({ owner: 'w', limit: 1, now: 1000, leaseMs: 60_000 });
      assert.equal(m?.id, r!.id);
      await store.messages.complete([
        {
          id: m.id,
          owner: 'w',
          to: 'sent',
          at: 1001,
          countsAttempt: true,
          provider: 'p',
          providerMessageId: pid,
          event: { type: 'sent', source: 'p' },
        },
      ]);
      return m.id;
    }

    test('finds messages by provider id, moves them, ORs engagement, keeps final states', async () => {
      const store = await freshStore(backend);
      stores.push(store);
      const deps = { store, clock: new ManualClock(5000) };
      const a = await sentMessage(store, 'pid-a');
      const b = await sentMessage(store, 'pid-b');
      // An open for a sent message records the flag and does not move it.
      const open = await applyReceipts(
        deps,
        [{ providerMessageId: 'pid-a', engagement: Engagement.opened, type: 'open' }],
        'p',
      );
      assert.ok(open.ok);
      assert.deepEqual(open.results, [
        { messageId: a, kind: 'unchanged', state: 'sent', channel: 'email', provider: 'p' },
      ]);
      const res = await applyReceipts(
        deps,
        [
          { providerMessageId: 'pid-a', to: 'delivered', type: 'delivered' },
          { messageId: b, to: 'bounced', type: 'bounce', reason: 'mailbox full' },
          { providerMessageId: 'pid-a', engagement: Engagement.clicked, type: 'click' },
        ],
        'p',
      );
      assert.ok(res.ok);
      assert.equal(res.changed, 2);
      const ma = await store.messages.get(a);
      assert.equal(ma?.state, 'delivered');
      assert.equal(ma?.engagement, Engagement.opened | Engagement.clicked);
      const mb = await store.messages.get(b);
      assert.deepEqual([mb?.state, mb?.reason], ['bounced', 'mailbox full']);
      const late = await applyReceipts(deps, [{ messageId: b, to: 'delivered', type: 'delivered' }], 'p');
      assert.ok(late.ok);
      assert.equal(late.unchanged, 1);
      assert.equal((await store.messages.get(b))?.state, 'bounced', 'a final state is never overwritten');
    });

    test('an unknown id rolls back the whole request', async () => {
      const store = await freshStore(backend);
      stores.push(store);
      const deps = { store, clock: new ManualClock(5000) };
      const a = await sentMessage(store, 'pid-a');
      const res = await applyReceipts(
        deps,
        [
          { messageId: a, to: 'delivered', type: 'delivered', engagement: Engagement.opened },
          { providerMessageId: 'nope', to: 'delivered', type: 'delivered' },
          { type: 'no id at all' },
        ],
        'p',
      );
      assert.deepEqual(res, { ok: false, unknown: ['nope', '(no id)'] });
      const m = await store.messages.get(a);
      assert.deepEqual([m?.state, m?.engagement], ['sent', 0]);
      const detail = await store.messages.detail(a);
      assert.ok(!detail?.events.some((e) => e.type === 'delivered' && e.source === 'p' && e.at === 5000));
    });
  });
}
