import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.ts';
import type { Message } from '../domain/message.ts';
import type { LaneSettings } from './router.ts';

const settings: LaneSettings = {
  concurrency: 1,
  batchSize: 1,
  lingerMs: 0,
  ratePerSec: null,
  timeoutMs: 1000,
  retry: { scheduleMs: [0, 1000, 10_000], maxAttempts: 3 },
  breaker: { failureThreshold: 5, cooldownMs: 1000, maxCooldownMs: 10_000 },
};
const msg = (over: Partial<Message> = {}): Message =>
  ({ id: 'm1', attempts: 0, maxAttempts: 3, notAfter: null, ...over }) as Message;
const ctx = { owner: 'w', now: 100, startedAt: 90, durationMs: 10, settings, random: () => 1 };
const transient = {
  ok: false as const,
  retry: 'transient' as const,
  blame: 'provider' as const,
  reason: 'HTTP 503',
  statusCode: 503,
  provider: 'p',
};

test('ok becomes the provider state with the attempt recorded', () => {
  const c = decide(msg(), { ok: true, state: 'delivered', statusCode: 200, provider: 'webhook' }, ctx);
  assert.equal(c.to, 'delivered');
  assert.equal(c.attempt?.outcome, 'ok');
  assert.equal(c.attempt?.number, 1);
});

test('transient re-queues on the schedule', () => {
  const c = decide(msg(), transient, ctx);
  assert.equal(c.to, 'queued');
  assert.equal(c.dueAt, 1100);
  assert.equal(c.countsAttempt, true);
});

test('transient with the budget spent fails', () => {
  const c = decide(msg({ attempts: 2 }), transient, ctx);
  assert.equal(c.to, 'failed');
  assert.match(String(c.reason), /gave up after 3 attempts/);
});

test('transient past not_after expires', () => {
  const c = decide(msg({ notAfter: 500 }), transient, ctx);
  assert.equal(c.to, 'expired');
});

test('permanent fails at once', () => {
  const c = decide(
    msg(),
    { ok: false, retry: 'permanent', blame: 'recipient', reason: 'HTTP 404', provider: 'p' },
    ctx,
  );
  assert.equal(c.to, 'failed');
  assert.equal(c.reason, 'HTTP 404');
});
