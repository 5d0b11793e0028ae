import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engagement } from '../domain/message.ts';
import { screenReason } from './screening.ts';
import { autoSuppressKind } from './suppressions.ts';

const email = (categories: number) => ({ channel: 'email' as const, recipient: 'a@example.com', categories });
const entry = { recipient: 'a@example.com', reason: 'asked', source: 'api' as const, createdAt: 0 };

void test('screenReason: suppression list wins, then opt-outs that share a bit', () => {
  assert.equal(screenReason(email(0), undefined, undefined), undefined);
  assert.equal(screenReason(email(4), undefined, 2), undefined);
  assert.equal(screenReason(email(4), undefined, 1), undefined); // opted into everything
  assert.equal(screenReason(email(6), undefined, 4), 'recipient opted out of category 4');
  assert.equal(screenReason(email(6), undefined, 6), 'recipient opted out of categories 2, 4');
  assert.equal(screenReason(email(0), undefined, 6), undefined); // uncategorised mail is never dropped by preferences
  assert.equal(screenReason(email(0), entry, undefined), 'recipient is on the suppression list (api: asked)');
  assert.equal(screenReason({ channel: 'webhook', recipient: 'http://x', categories: 4 }, entry, 4), undefined);
});

void test('autoSuppressKind: bounces and spam reports only', () => {
  assert.equal(autoSuppressKind({ to: 'bounced' }), 'bounce');
  assert.equal(autoSuppressKind({ engagement: Engagement.spam }), 'spam');
  assert.equal(autoSuppressKind({ engagement: Engagement.opened | Engagement.spam }), 'spam');
  assert.equal(autoSuppressKind({ to: 'failed' }), undefined);
  assert.equal(autoSuppressKind({ to: 'delivered', engagement: Engagement.opened }), undefined);
});
