import { Agent, errors, util, type Dispatcher } from 'undici';
import type { ProviderConfig } from '../../config/config.ts';
import { excerpt } from '../../domain/message.ts';
import { coerceError } from '../../errors/app-error.ts';
import { parseRetryAfter } from '../../queue/backoff.ts';
import type { DeliveryResult } from '../provider.ts';

/**
 * What the HTTP provider adapters (fbrq, sms-batch, twilio, sendgrid) share: one keep-alive undici
 * Agent per provider instance, a request that turns every transport fault into a transient
 * result, and small builders for results. Classifying an HTTP answer stays in each adapter,
 * because each API says different things with the same status codes.
 */

export type Failure = Extract<DeliveryResult, { ok: false }>;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, capped at `maxResponseBytes`. */
  text: string;
  durationMs: number;
}

/** A keep-alive pool sized by the provider's concurrency; timeouts also bound a stuck socket. */
export function createAgent(cfg: ProviderConfig): Agent {
  return new Agent({
    connections: Math.max(1, cfg.concurrency),
    keepAliveTimeout: 10_000,
    headersTimeout: cfg.timeoutMs,
    bodyTimeout: cfg.timeoutMs,
    connect: { timeout: Math.min(cfg.timeoutMs, 10_000) },
  });
}

export interface OutgoingRequest {
  method: 'POST' | 'GET';
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * Sends one request. Answers the HTTP answer whatever its status, or a transient failure (blame
 * provider) when no answer came: refused, reset, timed out, aborted. Never throws.
 */
export async function send(
  agent: Agent,
  req: OutgoingRequest,
  signal: AbortSignal,
): Promise<{ ok: true; answer: HttpAnswer } | { ok: false; failure: Failure }> {
  const started = performance.now();
  try {
    const res = await requestCapped(agent, { ...req, url: new URL(req.url) }, MAX_RESPONSE_BYTES, signal);
    const durationMs = Math.round(performance.now() - started);
    const headers = util.parseHeaders(res.rawHeaders) as HttpAnswer['headers'];
    return { ok: true, answer: { status: res.status, headers, text: res.text, durationMs } };
  } catch (err) {
    return { ok: false, failure: transportFailure(err, signal) };
  }
}

/** A request that got no answer: always transient and the provider's (failover may help). */
export function transportFailure(err: unknown, signal: AbortSignal): Failure {
  const e = coerceError(err);
  if (signal.aborted) {
    const why = coerceError(signal.reason);
    const reason = why.name === 'TimeoutError' ? 'timed out waiting for the provider' : `aborted: ${why.message}`;
    return fail('transient', 'provider', reason);
  }
  const code = (e as { code?: string }).code ?? e.name;
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  return fail('transient', 'provider', `${code}${cause ? ` (${cause})` : ''}: ${e.message}`);
}

export function fail(
  retry: Failure['retry'],
  blame: Failure['blame'],
  reason: string,
  extra: Partial<Pick<Failure, 'statusCode' | 'response' | 'retryAfterMs'>> = {},
): Failure {
  return { ok: false, retry, blame, reason, ...extra };
}

/** The failure for an HTTP answer that the adapter has classified. */
export function httpFailure(
  answer: HttpAnswer,
  retry: Failure['retry'],
  blame: Failure['blame'],
  reason: string,
  now: number,
): Failure {
  return fail(retry, blame, reason, {
    statusCode: answer.status,
    response: excerpt(answer.text) ?? undefined,
    retryAfterMs: retry === 'transient' ? parseRetryAfter(answer.headers['retry-after'], now) : undefined,
  });
}

/**
 * The usual reading of a status code that the API gives no other meaning to: 401/403 are the
 * provider's (credentials: another provider may work), 408/425/429/5xx transient, other 4xx the
 * message's own (permanent, blame recipient).
 */
export function defaultStatusFailure(answer: HttpAnswer, reason: string, now: number): Failure {
  const s = answer.status;
  if (s === 401 || s === 403) return httpFailure(answer, 'permanent', 'provider', reason, now);
  if (s === 408 || s === 425 || s === 429 || s >= 500) return httpFailure(answer, 'transient', 'provider', reason, now);
  if (s === 404 || s === 405) return httpFailure(answer, 'permanent', 'provider', `${reason} (check baseUrl)`, now);
  if (s >= 400) return httpFailure(answer, 'permanent', 'recipient', reason, now);
  // 1xx/3xx/unexpected 2xx: the provider said something we cannot read as success; try again later.
  return httpFailure(answer, 'transient', 'provider', reason, now);
}

/** Parses JSON without throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One request as `requestCapped` sends it. */
export interface CappedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

/** An HTTP answer with its body capped: the headers stay raw (name, value, …) until one is asked for. */
export interface CappedAnswer {
  status: number;
  rawHeaders: Buffer[];
  /** The body, capped at the limit (UTF-8). */
  text: string;
}

/** A header of a raw header list (`[name, value, …]`), by lower-case name; undefined when absent. */
export function rawHeader(raw: readonly Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]!.length === name.length && raw[i]!.toString('latin1').toLowerCase() === name)
      return raw[i + 1]!.toString('latin1');
  return undefined;
}

/*
 * requestCapped — one request on `dispatcher`, its body read up to `limit` bytes; beyond that the
 * request is aborted (the rest is never read and the connection is not reused), as readCapped did.
 * Inputs: the request, the cap, a signal (timeout, shutdown). Output: status, raw headers, capped
 * text; rejects as undici's request() would (transport faults, the signal's reason). Invariants:
 * settles once; the abort listener is removed when it settles.
 *
 * Why not undici's request(): per call it builds an AsyncResource, parses every response header
 * into an object and wraps the body in a Readable that readCapped then walks with an async
 * iterator — a stream, an iterator and their promises for a 2-byte "ok". A dispatch handler gets
 * the same events with none of that (docs/decisions/0035).
 */
export function requestCapped(
  dispatcher: Dispatcher,
  req: CappedRequest,
  limit: number,
  signal: AbortSignal,
): Promise<CappedAnswer> {
  const { url } = req;
  // As undici's request() refuses it.
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return Promise.reject(
      new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.'),
    );
  const { search } = url;
  const opts = {
    origin: url.origin,
    path: search ? url.pathname + search : url.pathname,
    method: req.method,
    headers: req.headers,
    body: req.body ?? null,
  };
  return new Promise((resolve, reject) => {
    const handler = new CappedHandler(limit, signal, resolve, reject);
    if (signal.aborted) handler.reason = signal.reason ?? new errors.RequestAbortedError();
    else signal.addEventListener('abort', handler);
    dispatcher.dispatch(opts, handler);
  });
}

/** undici's dispatch handler (the callbacks its Client calls natively, without a wrapper) for requestCapped. */
class CappedHandler implements Dispatcher.DispatchHandler {
  reason: unknown = null;
  private abort: ((err?: Error) => void) | null = null;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly limit: number;
  private readonly signal: AbortSignal;
  private readonly resolve: (a: CappedAnswer) => void;
  private readonly reject: (err: unknown) => void;

  constructor(limit: number, signal: AbortSignal, resolve: (a: CappedAnswer) => void, reject: (err: unknown) => void) {
    this.limit = limit;
    this.signal = signal;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** The signal's 'abort' event (the handler is its own listener: no closure per request). */
  handleEvent(): void {
    this.reason = this.signal.reason ?? new errors.RequestAbortedError();
    this.abort?.(this.reason as Error);
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.reason) return abort(this.reason as Error);
    this.abort = abort;
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    // 1xx informational answers come before the real one.
    if (status < 200) return true;
    this.status = status;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= this.limit) {
      this.finish();
      this.abort?.(new errors.ResponseExceededMaxSizeError(`response body capped at ${this.limit} bytes`));
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.finish();
  }

  onError(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this);
    this.reject(err);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this);
    const c = this.chunks;
    const limit = this.limit;
    const text =
      c.length === 0
        ? ''
        : c.length === 1
          ? c[0]!.toString('utf8', 0, Math.min(c[0]!.length, limit))
          : Buffer.concat(c).toString('utf8', 0, Math.min(this.size, limit));
    this.resolve({ status: this.status, rawHeaders: this.rawHeaders, text });
  }
}
