import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_STATES, isFinal } from '../../domain/states.ts';
import { mailingStatus, webhookTarget } from './mailing/status.ts';
import { smsProxyStatus } from './smsproxy/status.ts';

void test('seed 002: every Herald state maps; final Herald states are FAILED or DELIVERED', () => {
  assert.equal(smsProxyStatus(undefined), 'NOT_FOUND');
  assert.equal(smsProxyStatus('queued'), 'ACCEPTED');
  assert.equal(smsProxyStatus('sending'), 'ACCEPTED');
  assert.equal(smsProxyStatus('sent'), 'CONFIRMED');
  assert.equal(smsProxyStatus('delivered'), 'DELIVERED');
  for (const s of MESSAGE_STATES) {
    const v = smsProxyStatus(s);
    assert.equal(isFinal(s), v === 'FAILED' || v === 'DELIVERED', s);
  }
});

void test('seed 000: processing until final', () => {
  for (const s of MESSAGE_STATES) assert.equal(mailingStatus(s) === 'processing', !isFinal(s), s);
  assert.equal(mailingStatus('delivered'), 'delivered');
  assert.equal(mailingStatus('bounced'), 'rejected');
  assert.equal(mailingStatus('suppressed'), 'rejected');
  assert.equal(mailingStatus('failed'), 'failed');
  assert.equal(webhookTarget('DELIVERED'), 'delivered');
  assert.equal(webhookTarget('rejected'), 'bounced');
  assert.equal(webhookTarget('FAILED'), 'failed');
  assert.equal(webhookTarget('LOST'), undefined);
  assert.equal(webhookTarget(3), undefined);
});
