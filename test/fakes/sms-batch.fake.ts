import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { bearer, json, quote, startFakeServer, type FakeLog, type FakeMode, type ModeOptions } from './fake-server.ts';

/**
 * A fake of the sms-batch API exactly as docs/providers/sms-batch.md defines it:
 * `POST /batches` (Bearer token; 1–1000 messages; dedup by id; per-message CONFIRMED / REJECTED),
 * and status updates POSTed in batches to the batch's `callbackUrl` (or `opts.callbackUrl`),
 * signed with `X-SmsBatch-Signature` when a `secret` is given.
 *
 * Each confirmed message gets a final outcome: DELIVERED, or FAILED (`UNREACHABLE`) for numbers
 * ending in 0000 (override with `outcome`). Updates wait in `pending` until `flushUpdates()`, or
 * go by themselves `autoUpdatesMs` after each batch when that is set.
 *
 *   const fake = await startSmsBatchFake({ token: 't', secret: 's', autoUpdatesMs: 50 });
 *   fake.url            // the baseUrl to configure
 *   fake.batches        // every accepted batch call: { batchId, ids }
 *   fake.setMode('fail', { times: 2 })
 */
export interface SmsBatchFakeOptions {
  token?: string;
  /** Signs status updates (the provider's `webhookSecret`). */
  secret?: string;
  /** Where updates go when a batch names no callbackUrl. */
  callbackUrl?: string;
  /** Post pending updates this long after each accepted batch (default: only on flushUpdates). */
  autoUpdatesMs?: number;
  outcome?: (to: string) => 'DELIVERED' | 'FAILED';
  port?: number;
  log?: FakeLog;
}

export interface SmsBatchUpdate {
  id: string;
  batchId: string;
  status: 'CONFIRMED' | 'DELIVERED' | 'FAILED';
  at: string;
  error?: { code: string; message: string };
}

type Stored = { status: string; to: string; text: string; callbackUrl: string | undefined };

const MAX = 1000;
const PHONE = /^\+?[1-9]\d{6,14}$/;

export async function startSmsBatchFake(opts: SmsBatchFakeOptions = {}) {
  const token = opts.token ?? 'sms-batch-test-token';
  const outcome = opts.outcome ?? ((to: string) => (to.endsWith('0000') ? 'FAILED' : 'DELIVERED'));
  const messages = new Map<string, Stored>();
  const batches: { batchId: string; ids: string[] }[] = [];
  const pending: { url: string; update: SmsBatchUpdate }[] = [];
  const deliveries: { url: string; status: number; count: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = await startFakeServer((req, res) => {
    if (req.method !== 'POST' || req.path !== '/batches')
      return json(res, 404, { error: { code: 'NOT_FOUND', message: 'no such route' } });
    if (bearer(req) !== token) return json(res, 401, { error: { code: 'UNAUTHORIZED', message: 'bad API key' } });
    let body: { messages?: unknown; from?: unknown; callbackUrl?: unknown };
    try {
      body = JSON.parse(req.body) as typeof body;
    } catch {
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'malformed JSON' } });
    }
    const list = body.messages;
    if (!Array.isArray(list) || list.length === 0)
      return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'messages must be a non-empty array' } });
    if (list.length > MAX)
      return json(res, 413, { error: { code: 'TOO_MANY_MESSAGES', message: `at most ${MAX} messages` } });
    const valid = list.every(
      (m: { id?: unknown; to?: unknown; text?: unknown }) =>
        typeof m?.id === 'string' &&
        m.id.length >= 1 &&
        m.id.length <= 64 &&
        typeof m.to === 'string' &&
        typeof m.text === 'string',
    );
    if (!valid) return json(res, 400, { error: { code: 'BAD_REQUEST', message: 'each message needs id, to, text' } });
    const callbackUrl = typeof body.callbackUrl === 'string' ? body.callbackUrl : opts.callbackUrl;
    const batchId = `b_${randomUUID()}`;
    const answers = (list as { id: string; to: string; text: string }[]).map((m) => accept(m, batchId, callbackUrl));
    list.forEach((m: { to: string; text: string }, i) =>
      opts.log?.(`SMS to ${m.to}: ${quote(m.text)} → ${answers[i]!.status}`),
    );
    batches.push({ batchId, ids: list.map((m: { id: string }) => m.id) });
    if (opts.autoUpdatesMs !== undefined) {
      const t = setTimeout(() => {
        timers.delete(t);
        void flushUpdates().catch(() => {});
      }, opts.autoUpdatesMs);
      timers.add(t);
    }
    return json(res, 200, { batchId, messages: answers });
  }, opts.port);

  function accept(m: { id: string; to: string; text: string }, batchId: string, callbackUrl: string | undefined) {
    const seen = messages.get(m.id);
    if (seen) return { id: m.id, status: seen.status, duplicate: true };
    if (!PHONE.test(m.to))
      return { id: m.id, status: 'REJECTED', error: { code: 'INVALID_NUMBER', message: `${m.to} is not a number` } };
    if (m.text === '') return { id: m.id, status: 'REJECTED', error: { code: 'EMPTY_TEXT', message: 'empty text' } };
    const final = outcome(m.to);
    messages.set(m.id, { status: final, to: m.to, text: m.text, callbackUrl });
    if (callbackUrl) {
      const update: SmsBatchUpdate = { id: m.id, batchId, status: final, at: new Date().toISOString() };
      if (final === 'FAILED') update.error = { code: 'UNREACHABLE', message: 'handset unreachable' };
      pending.push({ url: callbackUrl, update });
    }
    return { id: m.id, status: 'CONFIRMED' };
  }

  /** Posts updates (up to 1000 per request), signed when the fake has a secret; answers the HTTP status. */
  async function postUpdates(url: string, updates: SmsBatchUpdate[], signAs = opts.secret): Promise<number> {
    const raw = JSON.stringify({ updates });
    const ts = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-smsbatch-timestamp': ts };
    if (signAs)
      headers['x-smsbatch-signature'] = `v1=${createHmac('sha256', signAs).update(`${ts}.${raw}`).digest('hex')}`;
    const res = await request(url, { method: 'POST', headers, body: raw });
    await res.body.text();
    deliveries.push({ url, status: res.statusCode, count: updates.length });
    return res.statusCode;
  }

  /** Sends every pending update to its callback URL; updates that are not acknowledged stay pending. */
  async function flushUpdates(): Promise<number[]> {
    const taken = pending.splice(0, pending.length);
    const byUrl = new Map<string, typeof taken>();
    for (const p of taken) byUrl.set(p.url, [...(byUrl.get(p.url) ?? []), p]);
    const statuses: number[] = [];
    for (const [url, items] of byUrl) {
      for (let i = 0; i < items.length; i += MAX) {
        const chunk = items.slice(i, i + MAX);
        const status = await postUpdates(
          url,
          chunk.map((c) => c.update),
        ).catch(() => 0);
        statuses.push(status);
        if (status < 200 || status >= 300) pending.push(...chunk);
      }
    }
    return statuses;
  }

  return {
    url: server.url,
    port: server.port,
    token,
    requests: server.requests,
    /** Accepted batch calls, in order. */
    batches,
    /** Every message the fake has accepted, by id. */
    messages,
    pending,
    /** Update posts made: where, the answer's status, how many updates. */
    deliveries,
    flushUpdates,
    postUpdates,
    setMode: (mode: FakeMode, o?: ModeOptions) => server.setMode(mode, o),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}

export type SmsBatchFake = Awaited<ReturnType<typeof startSmsBatchFake>>;
