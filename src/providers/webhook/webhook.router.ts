import { Agent } from 'undici';
import type { Config } from '../../config/config.ts';
import type { Clock } from '../../domain/clock.ts';
import { excerpt, type Message } from '../../domain/message.ts';
import { coerceError } from '../../errors/app-error.ts';
import { parseRetryAfter } from '../../queue/backoff.ts';
import type { LaneSettings, RoutedResult, Router } from '../../queue/router.ts';
import type { DeliveryResult } from '../provider.ts';
import { TargetGuard } from './guard.ts';
import { standardWebhookHeaders } from './signing.ts';
import { renderPostbackUrl } from './template.ts';
import { rawHeader, requestCapped } from '../http-client/http-client.ts';
import { WEBHOOK_LANE_PREFIX } from '../../domain/lanes.ts';

const PROVIDER = 'webhook';

/** The request a webhook message makes: postback templates rendered, body serialised, signed. */
export function buildWebhookRequest(
  m: Message,
  defaultValue: string,
  now: number,
): { url: string; method: string; headers: Record<string, string>; body: string | undefined } {
  const p = m.payload!;
  const url = p.postback ? renderPostbackUrl(p.url, p.postback, defaultValue) : p.url;
  const json = p.postback ?? p.body;
  const body = p.method === 'GET' || json === undefined ? undefined : JSON.stringify(json);
  const headers: Record<string, string> = { 'user-agent': 'Herald/0.1 (+webhook)', 'idempotency-key': m.id };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (p.headers) Object.assign(headers, p.headers);
  if (p.secret) Object.assign(headers, standardWebhookHeaders(p.secret, m.id, now, body ?? ''));
  return { url, method: p.method, headers, body };
}

/**
 * Delivers webhook and postback messages over HTTP (undici, keep-alive). Follows no redirects;
 * caps time and response size; refuses non-public targets (TargetGuard). 2xx is delivered;
 * 408, 425, 429 and 5xx are transient (Retry-After honoured); other answers are permanent.
 */
export class WebhookRouter implements Router {
  private readonly agent: Agent;
  private readonly guard: TargetGuard;
  private readonly lane: LaneSettings;
  private readonly cfg: Config;
  private readonly clock: Clock;

  /** `http`: the sender's own pool and limits (event deliveries use theirs); default the webhook settings. */
  constructor(cfg: Config, clock: Clock, http?: { concurrency: number; timeoutMs: number }) {
    this.cfg = cfg;
    this.clock = clock;
    this.guard = new TargetGuard(cfg.network);
    const w = { ...cfg.worker.webhook, ...http };
    this.agent = new Agent({
      connect: { lookup: this.guard.lookup, timeout: Math.min(w.timeoutMs, 10_000) },
      headersTimeout: w.timeoutMs,
      bodyTimeout: w.timeoutMs,
      keepAliveTimeout: 10_000,
      connections: w.concurrency,
    });
    this.lane = {
      concurrency: w.concurrency,
      batchSize: 1,
      lingerMs: 0,
      ratePerSec: null,
      timeoutMs: w.timeoutMs,
      retry: cfg.worker.retry,
      breaker: cfg.worker.breaker,
    };
  }

  settings(lane: string): LaneSettings | undefined {
    return lane.startsWith(WEBHOOK_LANE_PREFIX) ? this.lane : undefined;
  }

  async deliver(_lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]> {
    // A webhook lane sends one message per call (batchSize 1): no Promise.all for it.
    if (batch.length === 1) return [routed(await this.deliverOne(batch[0]!, signal))];
    return Promise.all(batch.map(async (m) => routed(await this.deliverOne(m, signal))));
  }

  private deliverOne(m: Message, signal: AbortSignal): Promise<DeliveryResult> {
    if (!m.payload)
      return Promise.resolve({
        ok: false,
        retry: 'permanent',
        blame: 'recipient',
        reason: 'webhook message without a payload',
      });
    return this.send(buildWebhookRequest(m, this.cfg.postbackDefaultValue, this.clock.now()), signal);
  }

  /**
   * Makes one request with this router's guard, pool and caps, and classifies the answer. Never
   * throws. Event deliveries (src/events) send through it too.
   */
  async send(
    req: { url: string; method: string; headers: Record<string, string>; body: string | undefined },
    signal: AbortSignal,
  ): Promise<DeliveryResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { ok: false, retry: 'permanent', blame: 'recipient', reason: `invalid URL: ${req.url}` };
    }
    const blocked = this.guard.checkLiteral(url);
    if (blocked) return { ok: false, retry: 'permanent', blame: 'recipient', reason: blocked.message };
    try {
      const res = await requestCapped(
        this.agent,
        { url, method: req.method, headers: req.headers, body: req.body },
        this.cfg.worker.webhook.maxResponseBytes,
        signal,
      );
      const retryAfter = isTransient(res.status) ? rawHeader(res.rawHeaders, 'retry-after') : undefined;
      return classify(res.status, retryAfter, res.text, this.clock.now());
    } catch (err) {
      const e = coerceError(err);
      const cause = (e as { cause?: unknown }).cause;
      const blockedCause = [e, cause].find(
        (x) => (x as { code?: string } | undefined)?.code === 'HERALD_BLOCKED_TARGET',
      );
      if (blockedCause)
        return { ok: false, retry: 'permanent', blame: 'recipient', reason: (blockedCause as Error).message };
      const code = (e as { code?: string }).code ?? e.name;
      return { ok: false, retry: 'transient', blame: 'provider', reason: `${code}: ${e.message}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export function classify(
  status: number,
  retryAfter: string | string[] | undefined,
  text: string,
  now: number,
): DeliveryResult {
  const response = excerpt(text) ?? undefined;
  if (status >= 200 && status < 300) return { ok: true, state: 'delivered', statusCode: status, response };
  const transient = isTransient(status);
  const reason = status >= 300 && status < 400 ? `HTTP ${status}: redirects are not followed` : `HTTP ${status}`;
  return {
    ok: false,
    retry: transient ? 'transient' : 'permanent',
    blame: transient ? 'provider' : 'recipient',
    reason,
    statusCode: status,
    response,
    retryAfterMs: transient ? parseRetryAfter(retryAfter, now) : undefined,
  };
}

/** 408, 425, 429 and 5xx: worth another try later (Retry-After honoured). */
function isTransient(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The result, made here and owned by no one else, marked with its provider (no copy). */
function routed(r: DeliveryResult): RoutedResult {
  const out = r as RoutedResult;
  out.provider = PROVIDER;
  return out;
}
