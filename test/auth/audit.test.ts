import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_MIN_RETENTION_MS } from '../../src/store/audit.repo.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS, freshStore } from '../helpers/stores.ts';

interface Entry {
  id: string;
  at: string;
  actor: { id: string | null; name: string };
  action: string;
  objectType: string;
  objectId: string | null;
  address: string | null;
  detail: Record<string, unknown> | null;
}
const DAY = 86_400_000;

for (const backend of BACKENDS) {
  describe(`audit log: ${backend}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    test('key, campaign, suppression and preference changes are recorded with who, what, when, where', async () => {
      const h: TestHerald = await startHerald({ backend, roles: ['api'] });
      cleanup.push(() => h.stop());
      const call = async (method: string, url: string, payload?: object, headers = h.auth) => {
        const r = await h.inject({ method: method as 'POST', url, headers, ...(payload ? { payload } : {}) });
        assert.ok(r.statusCode < 300, `${method} ${url}: ${r.statusCode} ${r.body}`);
        return r.json<Record<string, unknown>>();
      };
      const made = await call('POST', '/v1/keys', { name: 'ops desk', scopes: ['campaigns', 'contacts'] });
      const ops = { authorization: `Bearer ${String(made.secret)}` };
      const opsId = (made.key as { id: string }).id;
      const now = Date.now();
      const campaign = await call(
        'POST',
        '/v1/campaigns',
        {
          name: 'spring',
          channel: 'sms',
          text: 'Hi',
          filter: {},
          startAt: new Date(now + DAY).toISOString(),
          endAt: new Date(now + 2 * DAY).toISOString(),
        },
        ops,
      );
      await call('PATCH', `/v1/campaigns/${String(campaign.id)}`, { name: 'spring sale' }, ops);
      await call('POST', `/v1/campaigns/${String(campaign.id)}/cancel`, undefined, ops);
      await call('POST', '/v1/suppressions', { recipient: 'eve@example.com', reason: 'asked' }, ops);
      await call('PUT', '/v1/preferences/bob@example.com', { optOut: 2 }, ops);
      await call('DELETE', `/v1/keys/${opsId}`);
      // A failed change is not an action: nothing recorded.
      const refused = await h.inject({ method: 'POST', url: '/v1/campaigns/nope/cancel', headers: h.auth });
      assert.equal(refused.statusCode, 400, 'not a campaign id');

      const all = await call('GET', '/v1/audit');
      const items = all.items as Entry[];
      assert.deepEqual(
        items.map((e) => e.action),
        [
          'key.revoke',
          'preference.set',
          'suppression.add',
          'campaign.cancel',
          'campaign.update',
          'campaign.create',
          'key.create',
          'key.create',
        ],
        'newest first',
      );
      const update = items.find((e) => e.action === 'campaign.update')!;
      assert.deepEqual(update.actor, { id: opsId, name: 'ops desk' });
      assert.equal(update.objectType, 'campaign');
      assert.equal(update.objectId, campaign.id);
      assert.deepEqual(update.detail?.fields, ['name']);
      assert.equal(update.address, '127.0.0.1');
      assert.ok(Math.abs(Date.parse(update.at) - Date.now()) < 60_000);
      assert.equal(items.find((e) => e.action === 'campaign.cancel')!.detail?.state, 'cancelled');
      assert.equal(items.find((e) => e.action === 'suppression.add')!.objectId, 'eve@example.com');
      const revoke = items.find((e) => e.action === 'key.revoke')!;
      assert.equal(revoke.actor.name, 'HERALD_API_KEY');
      assert.equal(revoke.objectId, opsId);
      assert.ok(!JSON.stringify(items).includes(String(made.secret)), 'secrets never reach the log');

      // Filters: actor (id or name), action (exact or a whole object), time; cursor pages.
      const byActor = (await call('GET', `/v1/audit?actor=${opsId}`)).items as Entry[];
      assert.equal(byActor.length, 5);
      assert.equal(((await call('GET', '/v1/audit?actor=ops%20desk')).items as Entry[]).length, 5);
      const campaigns = (await call('GET', '/v1/audit?action=campaign')).items as Entry[];
      assert.deepEqual(
        campaigns.map((e) => e.action),
        ['campaign.cancel', 'campaign.update', 'campaign.create'],
      );
      assert.equal(((await call('GET', '/v1/audit?action=campaign.update')).items as Entry[]).length, 1);
      const future = new Date(Date.now() + DAY).toISOString();
      assert.equal(((await call('GET', `/v1/audit?since=${future}`)).items as Entry[]).length, 0);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Record<string, unknown> = await call(
          'GET',
          `/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...(page.items as Entry[]).map((e) => e.id));
        cursor = page.nextCursor as string | null;
      } while (cursor);
      assert.deepEqual(
        seen,
        items.map((e) => e.id),
      );
      // Admin only.
      const metrics = await call('POST', '/v1/keys', { name: 'prom', scopes: ['metrics'] });
      const denied = await h.inject({
        url: '/v1/audit',
        headers: { authorization: `Bearer ${String(metrics.secret)}` },
      });
      assert.equal(denied.statusCode, 403);
      const bad = await h.inject({ url: '/v1/audit?since=yesterday', headers: h.auth });
      assert.equal(bad.statusCode, 400);
    });

    test('record inside a transaction commits with it or not at all; purges keep 90 days', async () => {
      const store = await freshStore(backend);
      cleanup.push(() => store.close());
      const actor = { id: null, name: 'events', address: 'cli' };
      const now = Date.now();
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.audit.record({ actor, action: 'message.bulk_cancel', objectType: 'message', detail: { n: 3 } }, now);
          throw new Error('the bulk operation failed');
        }),
      );
      assert.equal((await store.audit.list({}, 10)).items.length, 0, 'rolled back with the transaction');
      await store.transaction((tx) =>
        tx.audit.record({ actor, action: 'message.bulk_cancel', objectType: 'message', detail: { n: 3 } }, now),
      );
      await store.audit.record({ actor, action: 'contact.erase', objectType: 'contact' }, now - 100 * DAY);
      await store.audit.record({ actor, action: 'contact.erase', objectType: 'contact' }, now - 80 * DAY);
      assert.equal(await store.audit.purgeOlderThan(now - DAY, now), 1, 'only entries older than 90 days go');
      const left = (await store.audit.list({}, 10)).items;
      assert.deepEqual(
        left.map((e) => e.action),
        ['contact.erase', 'message.bulk_cancel'],
        'newest (last recorded) first',
      );
      assert.deepEqual(left[1]!.detail, { n: 3 });
      assert.ok(AUDIT_MIN_RETENTION_MS >= 90 * DAY);
    });
  });
}
