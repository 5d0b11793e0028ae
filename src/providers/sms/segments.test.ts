import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countSegments } from './segments.ts';

test('GSM-7: 160 septets fit one message, 161 take two parts of 153', () => {
  assert.deepEqual(countSegments('a'.repeat(160)), { encoding: 'GSM-7', segments: 1, units: 160 });
  assert.deepEqual(countSegments('a'.repeat(161)), { encoding: 'GSM-7', segments: 2, units: 161 });
  assert.equal(countSegments('a'.repeat(306)).segments, 2);
  assert.equal(countSegments('a'.repeat(307)).segments, 3);
  assert.equal(countSegments('').segments, 1);
});

test('GSM-7 extension characters take two septets and never split across parts', () => {
  assert.deepEqual(countSegments('€'.repeat(80)), { encoding: 'GSM-7', segments: 1, units: 160 });
  assert.equal(countSegments('€'.repeat(81)).segments, 2);
  // 152 septets then an escape pair: the pair moves whole to the second part.
  const r = countSegments('a'.repeat(152) + '[' + 'a'.repeat(152));
  assert.equal(r.units, 306);
  assert.equal(r.segments, 3);
});

test('UCS-2: 70 units alone, 67 per part; emoji are two units and stay whole', () => {
  assert.deepEqual(countSegments('я'.repeat(70)), { encoding: 'UCS-2', segments: 1, units: 70 });
  assert.equal(countSegments('я'.repeat(71)).segments, 2);
  assert.equal(countSegments('я'.repeat(134)).segments, 2);
  assert.equal(countSegments('я'.repeat(135)).segments, 3);
  // One emoji turns a GSM text into UCS-2.
  assert.equal(countSegments('Hello 👋').encoding, 'UCS-2');
  assert.equal(countSegments('a'.repeat(66) + '👋' + 'aaa').segments, 2);
});
