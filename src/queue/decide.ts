import type { Message } from '../domain/message.ts';
import { excerpt } from '../domain/message.ts';
import type { Completion } from '../store/store.ts';
import { nextDelay } from './backoff.ts';
import type { LaneSettings, RoutedResult } from './router.ts';

/**
 * What one provider result does to one message (a pure function: the worker's policy).
 * ok → sent/delivered; permanent → failed; transient → queued with backoff, or failed when the
 * attempt budget is spent, or expired when the next try would fall after not_after.
 */
export function decide(
  m: Message,
  r: RoutedResult,
  ctx: {
    owner: string;
    now: number;
    startedAt: number;
    durationMs: number;
    settings: LaneSettings;
    random?: () => number;
  },
): Completion {
  const number = m.attempts + 1;
  const attempt = {
    number,
    provider: r.provider,
    startedAt: ctx.startedAt,
    durationMs: ctx.durationMs,
    outcome: r.ok ? ('ok' as const) : r.retry,
    statusCode: r.statusCode ?? null,
    response: excerpt(r.response),
    error: r.ok ? null : r.reason,
  };
  const base = { id: m.id, owner: ctx.owner, at: ctx.now, countsAttempt: true, provider: r.provider, attempt };
  if (r.ok) {
    return {
      ...base,
      to: r.state,
      reason: null,
      providerMessageId: r.providerMessageId,
      event: { type: r.state, source: r.provider, detail: r.statusCode ? `HTTP ${r.statusCode}` : null },
    };
  }
  if (r.retry === 'permanent') {
    return { ...base, to: 'failed', reason: r.reason, event: { type: 'failed', source: r.provider, detail: r.reason } };
  }
  const policy = { ...ctx.settings.retry, maxAttempts: m.maxAttempts };
  // Failing over to another provider needs no backoff: it is not the one that just failed.
  const backoff = nextDelay(policy, number, r.retryAfterMs, ctx.random);
  const delay = backoff !== undefined && r.nextProvider ? 0 : backoff;
  if (delay === undefined) {
    const reason = `gave up after ${number} attempt${number === 1 ? '' : 's'}: ${r.reason}`;
    return { ...base, to: 'failed', reason, event: { type: 'failed', source: r.provider, detail: reason } };
  }
  const dueAt = ctx.now + delay;
  if (m.notAfter != null && dueAt > m.notAfter) {
    const reason = `not_after passes before the next attempt: ${r.reason}`;
    return { ...base, to: 'expired', reason, event: { type: 'expired', source: r.provider, detail: reason } };
  }
  return {
    ...base,
    to: 'queued',
    dueAt,
    reason: r.reason,
    event: {
      type: 'retry_scheduled',
      source: r.provider,
      detail: `attempt ${number} failed (${r.reason}); next ${r.nextProvider ? `on ${r.nextProvider} ` : ''}in ${delay} ms`,
    },
  };
}
