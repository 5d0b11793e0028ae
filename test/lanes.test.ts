import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from './helpers/herald.ts';

/**
 * With no provider configured, a channel's messages go to its default outbox: "accepted" (counted
 * at ingest), the lane's provider (the router) and "delivered" (counted by the worker) must name
 * the same provider (src/domain/lanes.ts). Ingest used to count them under the channel's name.
 */
describe('lanes without configured providers', () => {
  let h: TestHerald;
  after(async () => h?.stop());

  test('accepted, routed and delivered name the same default outbox', async () => {
    h = await startHerald();
    const r = await h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: { channel: 'email', to: 'a@example.com', from: 'b@example.com', subject: 's', text: 't' },
    });
    assert.equal(r.statusCode, 202, r.body);
    const id = r.json<{ id: string }>().id;
    const m = await eventually(async () => {
      const got = await h.rt.store.messages.get(id);
      return got?.state === 'delivered' ? got : undefined;
    });
    assert.equal(m.lane, 'email');
    const carrier = h.rt.providers.router.chain(m.lane)?.[0];
    assert.equal(carrier, 'outbox-email');
    assert.equal(m.provider, carrier);
    const metrics = (await h.inject({ url: '/metrics', headers: h.auth })).body;
    assert.match(metrics, /herald_messages_accepted_total\{channel="email",provider="outbox-email"\} 1\b/);
    assert.match(metrics, /herald_messages_delivered_total\{channel="email",provider="outbox-email"\} 1\b/);
    assert.doesNotMatch(metrics, /herald_messages_accepted_total\{channel="email",provider="email"\}/);
    assert.equal(h.rt.messages.defaultMaxAttempts('email'), h.config.worker.retry.maxAttempts);
  });
});
