import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextDelay, outagePause, parseRetryAfter } from './backoff.ts';

const policy = { scheduleMs: [0, 5000, 300_000], maxAttempts: 5 };

test('full jitter stays within [0, scheduled delay] and the last entry repeats', () => {
  assert.equal(
    nextDelay(policy, 1, undefined, () => 1),
    5000,
  );
  assert.equal(
    nextDelay(policy, 1, undefined, () => 0),
    0,
  );
  assert.equal(
    nextDelay(policy, 2, undefined, () => 0.5),
    150_000,
  );
  assert.equal(
    nextDelay(policy, 4, undefined, () => 1),
    300_000,
  );
});

test('the budget ends at maxAttempts', () => {
  assert.equal(nextDelay(policy, 5), undefined);
  assert.notEqual(nextDelay(policy, 4), undefined);
});

test('Retry-After is honoured within [delay, 2×delay]', () => {
  assert.equal(nextDelay(policy, 1, 7000), 7000);
  assert.equal(nextDelay(policy, 1, 1000), 5000);
  assert.equal(nextDelay(policy, 1, 3_600_000), 10_000);
  assert.equal(nextDelay({ scheduleMs: [0], maxAttempts: 3 }, 1, 2000), 2000);
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3', 0), 3000);
  assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
  assert.equal(parseRetryAfter('soon', 0), undefined);
  assert.equal(parseRetryAfter(undefined, 0), undefined);
});

test('outagePause doubles the interval per failed pass, up to 5 s (or the interval when longer)', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 6, 7, 20].map((n) => outagePause(100, n)),
    [100, 200, 400, 800, 5000, 5000, 5000],
  );
  assert.equal(outagePause(3_600_000, 3), 3_600_000);
});
