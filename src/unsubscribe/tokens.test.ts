import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../domain/clock.ts';
import { UnsubscribeTokens } from './tokens.ts';
import { offersUnsubscribe } from './links.ts';

const m = { id: 'm1', recipient: 'ann@example.com', categories: 6, campaignId: null };

test('a token verifies to its claims until it expires', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const t = new UnsubscribeTokens('a secret of sixteen+', 3_600_000, clock);
  const token = t.forMessage(m);
  const v = t.verify(token);
  assert.ok(v.ok);
  assert.deepEqual([v.claims.recipient, v.claims.categories, v.claims.messageId], ['ann@example.com', 6, 'm1']);
  clock.advance(3_600_000 + 1000);
  assert.deepEqual(t.verify(token), { ok: false, why: 'expired' });
});

test('another secret, another address or a changed token does not verify', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const t = new UnsubscribeTokens('a secret of sixteen+', 3_600_000, clock);
  const token = t.forMessage(m);
  assert.deepEqual(new UnsubscribeTokens('another secret....', 3_600_000, clock).verify(token), {
    ok: false,
    why: 'forged',
  });
  const [v, payload, mac] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[];
  claims[0] = 'eve@example.com';
  assert.equal(t.verify(`${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`).ok, false);
  assert.equal(t.verify(token.slice(0, -1)).ok, false);
  assert.deepEqual(t.verify('x'), { ok: false, why: 'malformed' });
});

test('only mail in a category or a campaign offers unsubscribe', () => {
  assert.equal(offersUnsubscribe({ categories: 0, campaignId: null }), false);
  assert.equal(offersUnsubscribe({ categories: 4, campaignId: null }), true);
  assert.equal(offersUnsubscribe({ categories: 0, campaignId: 'c' }), true);
});
