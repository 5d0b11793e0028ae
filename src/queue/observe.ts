import type { Logger } from 'pino';
import type { Message } from '../domain/message.ts';
import type { Metrics } from '../metrics.ts';
import type { StatsRecorder } from '../stats/recorder.ts';
import type { Completion } from '../store/store.ts';
import type { RoutedResult } from './router.ts';

/**
 * Records one delivery attempt: Prometheus metrics, the dashboard's counters, and the attempt's
 * log line — at `debug` (LOG_LEVEL=debug), since a line per attempt costs delivery throughput;
 * the attempt itself is kept with the message (GET /v1/messages/{id}).
 */
export function observeAttempt(
  d: { metrics: Metrics; stats?: StatsRecorder | undefined; logger: Logger },
  m: Message,
  r: RoutedResult,
  c: Completion,
  durationMs: number,
): void {
  const labels = { channel: m.channel, provider: r.provider };
  const mx = d.metrics;
  mx.attemptSeconds.observe({ ...labels, outcome: r.ok ? 'ok' : r.retry }, durationMs / 1000);
  if (c.to === 'delivered') mx.delivered.inc(labels);
  else if (c.to === 'sent') mx.sent.inc(labels);
  else if (c.to === 'failed') mx.failed.inc(labels);
  else if (c.to === 'queued') mx.retried.inc(labels);
  if (c.to === 'queued') d.stats?.completed(m.channel, r.provider, 'retried');
  else if (c.to === 'sent' || c.to === 'delivered' || c.to === 'failed')
    d.stats?.completed(m.channel, r.provider, c.to, c.at - Math.max(m.createdAt, m.dueAt)); // since due
  if (!d.logger.isLevelEnabled('debug')) return;
  d.logger.debug(
    {
      messageId: m.id,
      lane: m.lane,
      provider: r.provider,
      attempt: c.attempt?.number,
      deliveredAt: new Date(c.at).toISOString(),
      statusCode: r.statusCode,
      responseTimeMs: durationMs,
      responseBody: c.attempt?.response,
      outcome: r.ok ? 'ok' : r.retry,
      state: c.to,
      reason: r.ok ? undefined : r.reason,
    },
    'delivery attempt',
  );
}
