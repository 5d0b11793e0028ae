import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitsOf, carriesReservedBit, intersection, intersects, optOutProblem } from './categories.ts';
import { recipientKey } from './recipients.ts';

void test('intersects works beyond 32 bits (JavaScript & would truncate)', () => {
  const high = 2 ** 40;
  assert.equal(intersects(high + 2, high), true);
  assert.equal((high + 2) & high, 0); // what plain & would have said
  assert.equal(intersects(2 ** 40 + 4, 2 ** 40), true);
  assert.equal(intersects(2 ** 40, 2 ** 41), false);
  assert.equal(intersection(2 ** 40 + 6, 2 ** 40 + 4), 2 ** 40 + 4);
  assert.equal(intersects(0, 0xff), false);
  assert.equal(intersects(6, 4), true);
  assert.equal(intersects(6, 1), false);
});

void test('bit 1 is reserved on messages; opt-out 1 means everything welcome, 0 is refused', () => {
  assert.equal(carriesReservedBit(1), true);
  assert.equal(carriesReservedBit(3), true);
  assert.equal(carriesReservedBit(2), false);
  assert.equal(optOutProblem(1), undefined);
  assert.equal(optOutProblem(6), undefined);
  assert.match(optOutProblem(0)!, /must not be 0/);
  for (const bad of [-1, 1.5, '4', null, Number.MAX_SAFE_INTEGER + 1]) assert.ok(optOutProblem(bad), String(bad));
  // Opted into everything: no message can share a bit with it.
  for (const c of [2, 4, 6, 2 ** 40]) assert.equal(intersects(c, 1), false);
});

void test('bitsOf lists set bits lowest first', () => {
  assert.deepEqual(bitsOf(0), []);
  assert.deepEqual(bitsOf(22), [2, 4, 16]);
  assert.deepEqual(bitsOf(2 ** 40 + 2), [2, 2 ** 40]);
});

void test('recipientKey: e-mail without case, phones without punctuation', () => {
  assert.equal(recipientKey(' User@Example.COM '), 'user@example.com');
  assert.equal(recipientKey('+48 (12) 345-678'), '+4812345678');
  assert.equal(recipientKey('some-id'), 'some-id');
});
