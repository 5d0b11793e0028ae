import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore, freshUrl } from '../helpers/stores.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { fanoutPage } from '../../src/campaigns/fanout.ts';
import { campaignKit, contact, fields, HOUR, messagesPerContact, stopSchedulers, T0 } from './helpers.ts';

/** The store, except that its n-th transaction dies after its work, before commit (a crash). */
function crashingAt(store: Store, n: number): Store {
  let txs = 0;
  return {
    ...store,
    transaction: (fn) =>
      store.transaction(async (tx) => {
        const r = await fn(tx);
        if (++txs === n) throw new Error('simulated crash');
        return r;
      }),
  };
}

for (const backend of BACKENDS) {
  describe(`campaign fan-out: ${backend}`, () => {
    const opened: Store[] = [];
    const fresh = async () => {
      const s = await freshStore(backend);
      opened.push(s);
      return s;
    };
    after(async () => {
      await stopSchedulers();
      for (const s of opened) await s.close();
    });

    test('a campaign whose start has passed runs at once and writes one message per matching contact', async () => {
      const store = await fresh();
      const { service, scheduler } = campaignKit(store);
      const contacts = Array.from({ length: 40 }, (_, i) => contact(i));
      await store.contacts.insertMany(contacts, T0);
      const c = await service.create(fields({ filter: { operatorCodes: ['900'], tags: ['even'] } }));
      assert.equal(c.state, 'running');
      const pass = await scheduler.tick();
      assert.equal(pass.leader, true);
      const expected = contacts.filter((x) => x.operatorCode === '900' && x.tag === 'even').length;
      assert.equal(pass.written, expected);
      const per = await messagesPerContact(store, c.id);
      assert.equal(per.size, expected);
      assert.ok([...per.values()].every((n) => n === 1));
      const after = await store.campaigns.get(c.id);
      assert.equal(after?.fanoutDone, true);
      assert.equal(after?.fannedOut, expected);
      const page = await store.messages.list({ campaignId: c.id }, 100);
      const m = page.items[0]!;
      assert.equal(m.channel, 'sms');
      assert.equal(m.lane, 'sms');
      assert.equal(m.state, 'queued');
      assert.equal(m.notAfter, c.endAt);
      assert.match(m.text!, /^Hello N\d+$/);
    });

    test('filter combinations: operator codes and tags, lists of each, empty means all', async () => {
      const store = await fresh();
      const { service, scheduler } = campaignKit(store);
      const cs = [
        contact(1, { operatorCode: '916', tag: 'a' }),
        contact(2, { operatorCode: '916', tag: 'b' }),
        contact(3, { operatorCode: '903', tag: 'a' }),
        contact(4, { operatorCode: '903', tag: null }),
        contact(5, { operatorCode: '999', tag: 'c' }),
        contact(6, { phone: null, email: 'x@example.com', operatorCode: '916', tag: 'a' }),
      ];
      await store.contacts.insertMany(cs, T0);
      const cases: [string[], string[], number][] = [
        [[], [], 5], // every contact with a phone (SMS)
        [['916'], [], 2],
        [['916', '903'], [], 4],
        [[], ['a'], 2],
        [['916'], ['a', 'b'], 2],
        [['903'], ['a'], 1],
        [['999'], ['a'], 0],
      ];
      for (const [operatorCodes, tags, n] of cases) {
        assert.equal(
          await store.contacts.count({ operatorCodes, tags, channel: 'sms' }),
          n,
          `${operatorCodes}/${tags}`,
        );
        const c = await service.create(fields({ filter: { operatorCodes, tags } }));
        await scheduler.tick();
        assert.equal((await messagesPerContact(store, c.id)).size, n, `campaign ${operatorCodes}/${tags}`);
      }
      const email = await service.create(
        fields({
          channel: 'email',
          sender: 'news@example.com',
          subject: 'Hi {tag}',
          filter: { operatorCodes: [], tags: [] },
        }),
      );
      await scheduler.tick();
      const msgs = await store.messages.list({ campaignId: email.id }, 10);
      assert.equal(msgs.items.length, 1);
      assert.equal(msgs.items[0]!.recipient, 'x@example.com');
      assert.equal(msgs.items[0]!.subject, 'Hi a');
    });

    test('a crash mid-fan-out resumes at the checkpoint: each contact gets exactly one message', async () => {
      const store = await fresh();
      await store.contacts.insertMany(
        Array.from({ length: 50 }, (_, i) => contact(i)),
        T0,
      );
      const kit = campaignKit(store);
      const c = await kit.service.create(fields());
      // A store whose third fan-out transaction dies after writing its messages, before commit.
      const crashing = crashingAt(store, 3);
      const deps = { store: crashing, clock: kit.clock, maxAttempts: 3, pageSize: 7 };
      assert.equal((await fanoutPage(deps, c.id)).kind, 'written');
      assert.equal((await fanoutPage(deps, c.id)).kind, 'written');
      await assert.rejects(() => fanoutPage(deps, c.id), /simulated crash/);
      assert.equal((await messagesPerContact(store, c.id)).size, 14);
      assert.equal((await store.campaigns.get(c.id))?.fannedOut, 14);
      // "Restart": a new scheduler on the same store finishes the job.
      const restarted = campaignKit(store, kit.clock);
      const pass = await restarted.scheduler.tick();
      assert.equal(pass.written, 36);
      const per = await messagesPerContact(store, c.id);
      assert.equal(per.size, 50);
      assert.ok([...per.values()].every((n) => n === 1));
      // A second fan-out of an already-advanced checkpoint writes nothing.
      assert.equal((await fanoutPage(deps, c.id)).kind, 'idle');
    });

    test('one scheduler leads per database; another takes over when it stops', async () => {
      const where = freshUrl(backend);
      const a = await openStore(where);
      await a.migrate();
      const b = await openStore(where);
      opened.push(a, b);
      const ka = campaignKit(a);
      const kb = campaignKit(b);
      assert.equal((await ka.scheduler.tick()).leader, true);
      // SQLite: one process per file, every scheduler leads; PostgreSQL: the advisory lock decides.
      assert.equal((await kb.scheduler.tick()).leader, backend === 'sqlite');
      await ka.scheduler.stop();
      assert.equal((await kb.scheduler.tick()).leader, true);
    });

    test('a checkpoint that moved under a page makes that page write nothing', async () => {
      const store = await fresh();
      await store.contacts.insertMany([contact(1), contact(2)], T0);
      const kit = campaignKit(store);
      const c = await kit.service.create(fields());
      const stale = { ...store, campaigns: { ...store.campaigns, get: async () => ({ ...c, checkpoint: 'x' }) } };
      const step = await fanoutPage({ store: stale, clock: kit.clock, maxAttempts: 3, pageSize: 10 }, c.id);
      assert.equal(step.kind, 'raced');
      assert.equal((await messagesPerContact(store, c.id)).size, 0);
    });

    test('an SMS longer than HERALD_SMS_MAX_SEGMENTS for one contact is written failed, counted, and the rest go', async () => {
      const store = await fresh();
      await store.contacts.insertMany(
        [
          contact(1, { attributes: { name: 'x'.repeat(400) } }), // "Hello " + 400: 406 septets, 3 GSM-7 parts
          contact(2),
          contact(3, { attributes: { name: 'Ж'.repeat(130) } }), // UCS-2: 136 units, 3 parts
        ],
        T0,
      );
      const { service, scheduler } = campaignKit(store, undefined, 7, 2);
      const c = await service.create(fields());
      const pass = await scheduler.tick();
      assert.equal(pass.written, 3);
      const items = (await store.messages.list({ campaignId: c.id }, 10)).items;
      const by = new Map(items.map((m) => [m.recipient, m]));
      const gsm = by.get('79000000001')!;
      assert.equal(gsm.state, 'failed');
      assert.equal(
        gsm.reason,
        'the text for this contact is 3 SMS segments (GSM-7, 406 units); the limit is 2 (HERALD_SMS_MAX_SEGMENTS)',
      );
      assert.equal(gsm.segments, 3);
      assert.equal(by.get('79000000002')!.state, 'queued');
      assert.equal(by.get('79000000002')!.segments, 1);
      assert.match(by.get('79000000003')!.reason!, /is 3 SMS segments \(UCS-2, 136 units\); the limit is 2/);
      const stats = await service.stats(c.id);
      assert.deepEqual(stats.counts, { failed: 2, queued: 1 });
      assert.equal(stats.total, 3);
      // A failed message is final: nothing claims it, and the campaign finishes when the rest is done.
      assert.equal(await store.campaigns.pendingCount(c.id), 1);
    });

    test('pages read ahead: each contact once across a crash, and a filter edit drops the page read for the old one', async () => {
      const store = await fresh();
      await store.contacts.insertMany(
        Array.from({ length: 30 }, (_, i) => contact(i)),
        T0,
      );
      const kit = campaignKit(store);
      const c = await kit.service.create(fields());
      const crashing = crashingAt(store, 2);
      const deps = { store: crashing, clock: kit.clock, maxAttempts: 3, pageSize: 5 };
      const first = await fanoutPage(deps, c.id);
      assert.ok(first.kind === 'written' && first.ahead);
      // The second page's transaction dies: its read-ahead is lost with it, nothing of it is kept.
      await assert.rejects(() => fanoutPage(deps, c.id, first.ahead), /simulated crash/);
      assert.equal((await messagesPerContact(store, c.id)).size, 5);
      // A read-ahead for a checkpoint that is no longer the campaign's is not used.
      const again = await fanoutPage(deps, c.id, first.ahead);
      assert.ok(again.kind === 'written' && again.ahead);
      const stale = await fanoutPage(deps, c.id, first.ahead);
      assert.ok(stale.kind === 'written');
      let per = await messagesPerContact(store, c.id);
      assert.equal(per.size, 15);
      assert.ok([...per.values()].every((n) => n === 1));
      // The filter changes between pages: the page read ahead with the old filter is dropped.
      await kit.service.update(c.id, fields({ filter: { operatorCodes: [], tags: ['even'] } }));
      const edited = await fanoutPage(deps, c.id, stale.ahead);
      assert.ok(edited.kind === 'written');
      const rows = await store.messages.list({ campaignId: c.id }, 100);
      const tags = new Map((await store.contacts.list({}, 100)).items.map((k) => [k.id, k.tag]));
      const newest = rows.items.filter((m) => !per.has(m.contactId!));
      assert.equal(newest.length, 5);
      assert.ok(newest.every((m) => tags.get(m.contactId!) === 'even'));
      // The rest through the scheduler: every remaining even contact once, nobody twice.
      await kit.scheduler.tick();
      per = await messagesPerContact(store, c.id);
      assert.ok([...per.values()].every((n) => n === 1));
      assert.equal((await store.campaigns.get(c.id))?.fanoutDone, true);
    });

    test('window: messages are due at each contact’s next local opening; too late ones are created expired', async () => {
      const store = await fresh();
      await store.contacts.insertMany(
        [
          contact(1, { timezone: 'Europe/Moscow' }), // 15:00 local at T0: open
          contact(2, { timezone: 'America/New_York' }), // 07:00 local: opens at 09:00 = 14:00Z
          contact(3, { timezone: 'Asia/Tokyo' }), // 21:00 local: next 09:00 = 00:00Z tomorrow
        ],
        T0,
      );
      const { service, scheduler } = campaignKit(store);
      const c = await service.create(fields({ window: { from: '09:00', to: '18:00' }, endAt: T0 + 6 * HOUR }));
      await scheduler.tick();
      const items = (await store.messages.list({ campaignId: c.id }, 10)).items;
      const byTz = new Map(items.map((m) => [m.recipient, m]));
      assert.equal(byTz.get('79000000001')!.dueAt, T0);
      assert.equal(byTz.get('79000000002')!.dueAt, Date.parse('2026-01-10T14:00:00Z'));
      const tokyo = byTz.get('79000000003')!;
      assert.equal(tokyo.state, 'expired');
      assert.match(tokyo.reason!, /window does not open before the campaign ends/);
    });
  });
}
