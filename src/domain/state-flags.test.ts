import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_STATES, type MessageState } from './states.ts';
import { Engagement } from './message.ts';
import { postmasterStateFlags, StateFlags } from './state-flags.ts';

void test("postmaster flag values are the seed's", () => {
  assert.deepEqual(StateFlags, { delivered: 2, spam: 4, bounced: 8, dropped: 16, opened: 32 });
});

void test('state alone', () => {
  const want: Record<MessageState, number> = {
    queued: 0,
    sending: 0,
    sent: 0,
    delivered: 2,
    bounced: 8,
    failed: 16,
    suppressed: 16,
    expired: 16,
    cancelled: 16,
  };
  for (const s of MESSAGE_STATES) assert.equal(postmasterStateFlags(s, 0), want[s], s);
});

void test('engagement is OR-ed in', () => {
  assert.equal(postmasterStateFlags('delivered', Engagement.opened), 2 | 32);
  assert.equal(postmasterStateFlags('delivered', Engagement.opened | Engagement.spam), 2 | 4 | 32);
  assert.equal(postmasterStateFlags('sent', Engagement.opened), 32); // the seed's example: an open only
  assert.equal(postmasterStateFlags('delivered', Engagement.clicked), 2 | 32); // a click proves an open
  assert.equal(postmasterStateFlags('bounced', Engagement.spam), 8 | 4);
  assert.equal(postmasterStateFlags('delivered', Engagement.unsubscribed), 2);
});
