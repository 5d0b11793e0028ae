import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Breaker } from './breaker.ts';
import { ManualClock } from '../domain/clock.ts';

const settings = { failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 3000 };

test('opens after the threshold, lets one probe through after the cooldown, closes on success', () => {
  const clock = new ManualClock(0);
  const b = new Breaker(settings, clock);
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.allow(), false);
  assert.equal(b.reopensAt, 1000);
  clock.advance(1000);
  assert.equal(b.state, 'half_open');
  assert.equal(b.allow(), true);
  assert.equal(b.allow(), false, 'one probe at a time');
  b.success();
  assert.equal(b.state, 'closed');
  assert.equal(b.allow(), true);
});

test('a failed probe reopens it for twice as long, capped', () => {
  const clock = new ManualClock(0);
  const b = new Breaker(settings, clock);
  for (let i = 0; i < 3; i++) b.failure();
  clock.advance(1000);
  assert.equal(b.allow(), true);
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.reopensAt, 3000);
  clock.advance(2000);
  assert.equal(b.allow(), true);
  b.failure();
  assert.equal(b.reopensAt, 3000 + 3000, 'capped at maxCooldownMs');
});

test('a success resets the failure count', () => {
  const b = new Breaker(settings, new ManualClock(0));
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
});
