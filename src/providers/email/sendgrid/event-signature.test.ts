import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPublicKey, verifyEventSignature } from './event-signature.ts';

// The vector of PROVIDERS.md (from SendGrid's own webhook helper tests).
const KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
const SIG = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
const TS = '1588788367';
const PAYLOAD = JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' });

test('verifies SendGrid’s documented vector', () => {
  assert.equal(verifyEventSignature(readPublicKey(KEY), SIG, TS, Buffer.from(PAYLOAD)), true);
});

test('refuses a changed body, another timestamp, a missing or malformed signature', () => {
  const key = readPublicKey(KEY);
  assert.equal(verifyEventSignature(key, SIG, TS, Buffer.from(PAYLOAD.replace('test_event', 'open'))), false);
  assert.equal(verifyEventSignature(key, SIG, '1588788368', Buffer.from(PAYLOAD)), false);
  assert.equal(verifyEventSignature(key, undefined, TS, Buffer.from(PAYLOAD)), false);
  assert.equal(verifyEventSignature(key, 'bm90IGRlcg==', TS, Buffer.from(PAYLOAD)), false);
});

test('a key that is not an EC public key is refused when read', () => {
  assert.throws(() => readPublicKey('bm90IGEga2V5'));
});
