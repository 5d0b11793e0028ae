import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGE_STATES, FINAL_STATES, canTransition, canCancel, canRetry, sourcesOf } from './states.ts';

test('final states have no way out', () => {
  for (const from of FINAL_STATES) {
    for (const to of MESSAGE_STATES) assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
  }
});

test('every edge of the architecture diagram is allowed, and nothing else', () => {
  const allowed = new Set([
    'queued>sending',
    'queued>suppressed',
    'queued>expired',
    'queued>cancelled',
    'sending>queued',
    'sending>sent',
    'sending>delivered',
    'sending>failed',
    'sending>suppressed',
    'sending>expired',
    'sent>delivered',
    'sent>failed',
    'sent>bounced',
  ]);
  for (const from of MESSAGE_STATES) {
    for (const to of MESSAGE_STATES) {
      assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} -> ${to}`);
    }
  }
});

test('cancel only while queued (no provider has it yet); retry only from failed, expired, bounced', () => {
  for (const s of MESSAGE_STATES) {
    assert.equal(canCancel(s), s === 'queued', s);
    assert.equal(canRetry(s), s === 'failed' || s === 'expired' || s === 'bounced', s);
  }
});

test('sourcesOf lists the states that lead to a target', () => {
  assert.deepEqual(sourcesOf('delivered'), ['sending', 'sent']);
  assert.deepEqual(sourcesOf('queued'), ['sending']);
});
