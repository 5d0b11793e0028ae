import type { Agent } from 'undici';
import type { ProviderConfig } from '../../../config/config.ts';
import type { Clock } from '../../../domain/clock.ts';
import type { Message } from '../../../domain/message.ts';
import {
  createAgent,
  defaultStatusFailure,
  fail,
  httpFailure,
  isRecord,
  parseJson,
  send,
  type Failure,
  type HttpAnswer,
} from '../../http-client/http-client.ts';
import { OptionReader } from '../../options.ts';
import { readSmsBatchOptions, smsBatchSchema, type SmsBatchOptions } from './sms-batch.options.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType, ReceiptParse, ReceiptRequest, ReceiptSource } from '../../registry.ts';
import { e164 } from '../phone.ts';
import { parseSmsBatchReceipts } from './receipts.ts';

/**
 * A FastSMSing-style batch SMS API (seed 002), wire format defined in docs/providers/sms-batch.md:
 * one `POST {baseUrl}/batches` carries up to `batchSize` messages and costs as much as one; the
 * answer gives each message CONFIRMED (→ sent) or REJECTED (→ failed, the recipient's); status
 * updates arrive later in batches on the receipts endpoint. The provider deduplicates by message
 * id, so the worker may retry a failed call as a whole.
 */
export const smsBatchType: ProviderType = {
  ...smsBatchSchema,
  create(cfg, ctx) {
    const opts = readSmsBatchOptions(new OptionReader(cfg));
    if (!opts.webhookSecret)
      ctx.logger.warn(
        { provider: cfg.name },
        'sms-batch provider without webhookSecret: anyone who can reach the receipts endpoint can change its messages',
      );
    return new SmsBatchProvider(cfg, opts, ctx.clock);
  },
};

type Entry = { id: string; to: string; text: string; from?: string };

export class SmsBatchProvider implements Provider, ReceiptSource {
  readonly name: string;
  readonly type = 'sms-batch';
  readonly channel = 'sms' as const;
  readonly capabilities: ProviderCapabilities;
  private readonly opts: SmsBatchOptions;
  private readonly agent: Agent;
  private readonly clock: Clock;

  constructor(cfg: ProviderConfig, opts: SmsBatchOptions, clock: Clock) {
    this.name = cfg.name;
    this.opts = opts;
    this.clock = clock;
    this.agent = createAgent(cfg);
    this.capabilities = {
      maxBatch: opts.batchSize,
      lingerMs: opts.lingerMs,
      receipts: true,
      signedReceipts: opts.webhookSecret !== undefined,
    };
  }

  /** Checks each message locally, then sends the rest in calls of at most `batchSize`. */
  async send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    const results: (DeliveryResult | undefined)[] = batch.map((m) => precheck(m));
    const todo = batch.flatMap((m, i) => (results[i] ? [] : [{ i, entry: this.entry(m) }]));
    for (let k = 0; k < todo.length; k += this.opts.batchSize) {
      const chunk = todo.slice(k, k + this.opts.batchSize);
      const answers = await this.call(
        chunk.map((c) => c.entry),
        signal,
      );
      chunk.forEach((c, j) => (results[c.i] = answers[j]));
    }
    return results.map((r) => r ?? fail('transient', 'provider', 'no result (bug)'));
  }

  private entry(m: Message): Entry {
    const e: Entry = { id: m.id, to: e164(m.recipient)!, text: m.text! };
    if (m.sender) e.from = m.sender;
    return e;
  }

  private async call(entries: Entry[], signal: AbortSignal): Promise<DeliveryResult[]> {
    const body: Record<string, unknown> = { messages: entries };
    if (this.opts.from) body.from = this.opts.from;
    if (this.opts.statusCallbackUrl) body.callbackUrl = this.opts.statusCallbackUrl;
    const r = await send(
      this.agent,
      {
        method: 'POST',
        url: `${this.opts.baseUrl}/batches`,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
      },
      signal,
    );
    if (!r.ok) return entries.map(() => r.failure);
    return this.classify(r.answer, entries);
  }

  private classify(a: HttpAnswer, entries: Entry[]): DeliveryResult[] {
    const now = this.clock.now();
    const whole = (f: Failure) => entries.map(() => f);
    if (a.status !== 200) {
      const code = errorCode(a.text);
      const reason = `HTTP ${a.status}${code ? ` ${code}` : ''}`;
      // 400 here is a batch the API could not read: Herald's fault, not any one recipient's.
      if (a.status === 400 || a.status === 413) return whole(httpFailure(a, 'permanent', 'provider', reason, now));
      return whole(defaultStatusFailure(a, reason, now));
    }
    const json = parseJson(a.text);
    const batchId = isRecord(json) && typeof json.batchId === 'string' ? json.batchId : undefined;
    const list = isRecord(json) && Array.isArray(json.messages) ? json.messages : undefined;
    if (!batchId || !list)
      return whole(httpFailure(a, 'transient', 'provider', 'malformed answer from the provider', now));
    const byId = new Map<string, Record<string, unknown>>();
    for (const x of list) if (isRecord(x) && typeof x.id === 'string') byId.set(x.id, x);
    return entries.map((e) => perMessage(byId.get(e.id), batchId, a, now));
  }

  parseReceipts(req: ReceiptRequest): ReceiptParse {
    return parseSmsBatchReceipts(req, this.opts, this.clock.now());
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function precheck(m: Message): DeliveryResult | undefined {
  if (!e164(m.recipient)) return fail('permanent', 'recipient', `not a phone number: ${JSON.stringify(m.recipient)}`);
  if (!m.text) return fail('permanent', 'recipient', 'an SMS needs a text');
  return undefined;
}

function perMessage(
  x: Record<string, unknown> | undefined,
  batchId: string,
  a: HttpAnswer,
  now: number,
): DeliveryResult {
  if (!x) return httpFailure(a, 'transient', 'provider', 'the provider did not answer for this message', now);
  const error = isRecord(x.error) ? x.error : {};
  const why = [error.code, error.message].filter((s) => typeof s === 'string').join(': ');
  switch (x.status) {
    case 'CONFIRMED':
      return { ok: true, state: 'sent', providerMessageId: batchId, statusCode: 200 };
    case 'DELIVERED':
      return { ok: true, state: 'delivered', providerMessageId: batchId, statusCode: 200 };
    case 'REJECTED':
      return fail('permanent', 'recipient', `rejected${why ? `: ${why}` : ''}`, { statusCode: 200 });
    case 'FAILED':
      return fail('permanent', 'recipient', `failed${why ? `: ${why}` : ''}`, { statusCode: 200 });
    default:
      return httpFailure(a, 'transient', 'provider', `unknown status ${JSON.stringify(x.status)}`, now);
  }
}

function errorCode(text: string): string | undefined {
  const json = parseJson(text);
  const err = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  return typeof err?.code === 'string' ? err.code : undefined;
}
