import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e164, phoneDigits } from './phone.ts';

test('international numbers in the usual spellings become digits', () => {
  assert.equal(phoneDigits('79001234567'), '79001234567'); // seed 003's 7XXXXXXXXXX
  assert.equal(phoneDigits('+7 (900) 123-45-67'), '79001234567');
  assert.equal(phoneDigits(' +1.415.555.0100 '), '14155550100');
  assert.equal(e164('14155550100'), '+14155550100');
});

test('what is not an international number is refused', () => {
  for (const bad of ['', 'call me', '+', '123456', '08001234567', '+1234567890123456', '7900abc4567', '++79001234567'])
    assert.equal(phoneDigits(bad), undefined, bad);
});
