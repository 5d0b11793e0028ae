import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../domain/clock.ts';
import { CallDeadlines } from './call-signal.ts';

test('each call is aborted as a timeout once its own timeoutMs has passed, in start order', () => {
  const clock = new ManualClock();
  const calls = new CallDeadlines(clock, 1000);
  const a = calls.start();
  clock.advance(300);
  const b = calls.start();
  clock.advance(699);
  assert.equal(a.signal.aborted, false);
  clock.advance(1);
  assert.equal(a.signal.aborted, true);
  assert.equal((a.signal.reason as Error).name, 'TimeoutError');
  assert.equal(b.signal.aborted, false);
  clock.advance(300);
  assert.equal(b.signal.aborted, true);
  assert.equal(clock.pendingTimers, 0);
});

test('calls that end are never aborted; one timer serves the lane, and none is left when it is idle', () => {
  const clock = new ManualClock();
  const calls = new CallDeadlines(clock, 1000);
  const started = Array.from({ length: 50 }, () => calls.start());
  assert.equal(clock.pendingTimers, 1);
  for (const c of started.slice(0, 49)) c.done();
  const last = started[49]!;
  clock.advance(1000);
  assert.ok(started.slice(0, 49).every((c) => !c.signal.aborted));
  assert.equal(last.signal.aborted, true);
  const idle = calls.start();
  idle.done();
  idle.done(); // twice is harmless
  assert.equal(clock.pendingTimers, 0);
});

test('a call ending in the middle keeps the order of the others', () => {
  const clock = new ManualClock();
  const calls = new CallDeadlines(clock, 100);
  const a = calls.start();
  clock.advance(10);
  const b = calls.start();
  clock.advance(10);
  const c = calls.start();
  b.done();
  clock.advance(80);
  assert.deepEqual([a.signal.aborted, b.signal.aborted, c.signal.aborted], [true, false, false]);
  clock.advance(20);
  assert.deepEqual([b.signal.aborted, c.signal.aborted], [false, true]);
});

test('abortAll aborts every call in flight with the reason given', () => {
  const clock = new ManualClock();
  const calls = new CallDeadlines(clock, 1000);
  const a = calls.start();
  const b = calls.start();
  calls.abortAll(new Error('worker shutting down'));
  assert.equal((a.signal.reason as Error).message, 'worker shutting down');
  assert.equal((b.signal.reason as Error).message, 'worker shutting down');
  assert.equal(clock.pendingTimers, 0);
});
