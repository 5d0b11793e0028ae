import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWebhookPassword, parseGenericReceipts } from './generic.ts';

test('one object or an array; statuses map to states', () => {
  const one = parseGenericReceipts({ ID: 'a', STATUS: 'DELIVERED' });
  assert.ok(one.ok);
  assert.deepEqual(
    one.receipts.map((r) => [r.messageId, r.to, r.type]),
    [['a', 'delivered', 'receipt.delivered']],
  );
  const many = parseGenericReceipts([
    { ID: 'b', STATUS: 'REJECTED' },
    { ID: 'c', STATUS: 'failed' },
  ]);
  assert.ok(many.ok);
  assert.deepEqual(
    many.receipts.map((r) => [r.messageId, r.to]),
    [
      ['b', 'bounced'],
      ['c', 'failed'],
    ],
  );
  assert.equal(many.receipts[0]!.reason, 'provider reported REJECTED');
});

test('anything malformed rejects the whole request', () => {
  for (const body of [
    [],
    null,
    'x',
    { ID: 'a' },
    { ID: '', STATUS: 'DELIVERED' },
    { ID: 1, STATUS: 'DELIVERED' },
    [
      { ID: 'a', STATUS: 'DELIVERED' },
      { ID: 'b', STATUS: 'OPENED' },
    ],
  ]) {
    const r = parseGenericReceipts(body);
    assert.equal(r.ok, false, JSON.stringify(body));
    assert.equal(!r.ok && r.status, 400);
  }
});

test('basic auth: any user, the configured password, nothing else', () => {
  const auth = (v: string) => ({ headers: { authorization: v } });
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.equal(checkWebhookPassword(auth(`Basic ${b64('anyone:pw')}`), 'pw'), true);
  assert.equal(checkWebhookPassword(auth(`basic ${b64(':pw')}`), 'pw'), true);
  assert.equal(checkWebhookPassword(auth(`Basic ${b64('x:pw2')}`), 'pw'), false);
  assert.equal(checkWebhookPassword(auth(`Basic ${b64('pw')}`), 'pw'), false, 'no colon');
  assert.equal(checkWebhookPassword(auth('Bearer pw'), 'pw'), false);
  assert.equal(checkWebhookPassword({ headers: {} }, 'pw'), false);
});
