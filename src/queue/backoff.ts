import type { RetryPolicy } from '../config/config.ts';

/**
 * When to try again after `attempts` failed attempts: the schedule's entry for the next attempt
 * (the last entry repeats) with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): uniform in [0, delay]. A provider's Retry-After is honoured within [delay, 2×delay]
 * (Svix's rule), so a hostile value cannot park a message for days.
 * Returns undefined when the budget is spent.
 */
export function nextDelay(
  policy: RetryPolicy,
  attempts: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempts >= policy.maxAttempts) return undefined;
  const { scheduleMs } = policy;
  const base = scheduleMs[Math.min(attempts, scheduleMs.length - 1)] ?? 0;
  if (retryAfterMs !== undefined && retryAfterMs >= 0)
    return Math.min(Math.max(retryAfterMs, base), 2 * base || retryAfterMs);
  return Math.round(random() * base);
}

/** Parses Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Longest pause of a background loop while the store is unavailable. */
export const MAX_OUTAGE_PAUSE_MS = 5000;

/**
 * How long a background loop (claims, scheduler passes) waits after `failures` passes in a row
 * failed because the store was unavailable: its usual interval, doubling, up to 5 s (or the
 * interval, if longer). No failures: the usual interval.
 */
export function outagePause(intervalMs: number, failures: number): number {
  if (failures <= 0) return intervalMs;
  return Math.min(intervalMs * 2 ** failures, Math.max(intervalMs, MAX_OUTAGE_PAUSE_MS));
}
