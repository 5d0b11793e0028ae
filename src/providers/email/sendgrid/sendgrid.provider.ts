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
} from '../../http-client/http-client.ts';
import { OptionReader } from '../../options.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType, ReceiptParse, ReceiptRequest, ReceiptSource } from '../../registry.ts';
import { groupMessages } from './mail-body.ts';
import type { MailContext } from '../mail.ts';
import { parseSendgridEvents } from './receipts.ts';
import { readSendgridOptions, sendgridSchema, type SendgridOptions } from './sendgrid.options.ts';

export const sendgridType: ProviderType = {
  ...sendgridSchema,
  create(cfg, ctx) {
    const opts = readSendgridOptions(new OptionReader(cfg));
    if (!opts.webhookPublicKey)
      ctx.logger.warn(
        { provider: cfg.name },
        'sendgrid provider without webhookPublicKey: Event Webhook posts are not verified',
      );
    return new SendgridProvider(cfg, opts, ctx.clock, ctx.mail);
  },
};

/**
 * SendGrid v3 Mail Send (docs/providers/sendgrid.md): `POST {baseUrl}/v3/mail/send`, Bearer key,
 * `202` + `X-Message-Id` is `sent`; the event webhook moves messages on. Messages of one call
 * that share their content go in one request as separate personalizations. SendGrid takes no
 * idempotency key: a request that timed out after SendGrid accepted it may be sent twice.
 */
export class SendgridProvider implements Provider, ReceiptSource {
  readonly name: string;
  readonly type = 'sendgrid';
  readonly channel = 'email' as const;
  readonly capabilities: ProviderCapabilities;
  private readonly opts: SendgridOptions;
  private readonly agent: Agent;
  private readonly clock: Clock;
  private readonly mail: MailContext | undefined;

  constructor(cfg: ProviderConfig, opts: SendgridOptions, clock: Clock, mail?: MailContext) {
    this.name = cfg.name;
    this.opts = opts;
    this.clock = clock;
    this.mail = mail;
    this.agent = createAgent(cfg);
    this.capabilities = {
      maxBatch: opts.batchSize,
      lingerMs: opts.lingerMs,
      receipts: true,
      signedReceipts: opts.webhookPublicKey !== undefined,
    };
  }

  async send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    const results: (DeliveryResult | undefined)[] = batch.map((m) => this.precheck(m));
    const groups = groupMessages(batch, this.opts.from, this.opts.batchSize, (i) => !results[i], this.mail);
    await Promise.all(
      groups.map(async (g) => {
        const out = await this.sendGroup(g.indexes, g.body, signal, true);
        g.indexes.forEach((i, k) => (results[i] = out[k]));
      }),
    );
    return results.map((r) => r ?? fail('transient', 'provider', 'no result (bug)'));
  }

  private precheck(m: Message): DeliveryResult | undefined {
    if (!m.sender && !this.opts.from)
      return fail('permanent', 'recipient', 'no sender: set the message’s from or the provider’s from option');
    if (!m.text && !m.html) return fail('permanent', 'recipient', 'an e-mail needs a text or html body');
    return undefined;
  }

  /**
   * One request for these messages. A 400 that points at some personalizations fails only those;
   * the others are sent again once without them (their content was fine).
   */
  private async sendGroup(
    indexes: readonly number[],
    body: (idx: readonly number[]) => string,
    signal: AbortSignal,
    mayRetry: boolean,
  ): Promise<DeliveryResult[]> {
    const r = await send(
      this.agent,
      {
        method: 'POST',
        url: `${this.opts.baseUrl}/v3/mail/send`,
        headers: { authorization: `Bearer ${this.opts.apiKey}`, 'content-type': 'application/json' },
        body: body(indexes),
      },
      signal,
    );
    if (!r.ok) return indexes.map(() => r.failure);
    const a = r.answer;
    if (a.status === 202) {
      const xid = a.headers['x-message-id'];
      const providerMessageId = Array.isArray(xid) ? xid[0] : xid;
      return indexes.map(() => ({ ok: true, state: 'sent', providerMessageId, statusCode: a.status }));
    }
    const errors = sendgridErrors(a.text);
    const reason = `HTTP ${a.status}${errors.length ? `: ${errors.map((e) => e.message).join('; ')}` : ''}`;
    const now = this.clock.now();
    if (a.status !== 400) {
      const f =
        a.status === 413 ? httpFailure(a, 'permanent', 'recipient', reason, now) : defaultStatusFailure(a, reason, now);
      return indexes.map(() => f);
    }
    const bad = new Set(errors.flatMap((e) => (e.personalization !== undefined ? [e.personalization] : [])));
    if (bad.size === 0 || errors.some((e) => e.personalization === undefined) || !mayRetry || indexes.length === 1)
      return indexes.map(() => httpFailure(a, 'permanent', 'recipient', reason, now));
    const good = indexes.filter((_, k) => !bad.has(k));
    const retried = good.length > 0 ? await this.sendGroup(good, body, signal, false) : [];
    return indexes.map((i, k) => {
      if (!bad.has(k)) return retried[good.indexOf(i)]!;
      const own = errors.filter((e) => e.personalization === k).map((e) => e.message);
      return httpFailure(a, 'permanent', 'recipient', `HTTP 400: ${own.join('; ')}`, now);
    });
  }

  parseReceipts(req: ReceiptRequest): ReceiptParse {
    return parseSendgridEvents(req, this.opts.webhookPublicKey);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** `{"errors":[{"field","message"}]}`, with the personalization index a field points at. */
function sendgridErrors(text: string): { message: string; personalization: number | undefined }[] {
  const json = parseJson(text);
  const list = isRecord(json) && Array.isArray(json.errors) ? json.errors : [];
  return list.filter(isRecord).map((e) => {
    const field = typeof e.field === 'string' ? e.field : '';
    const m = /^personalizations\.(\d+)\./.exec(field);
    return {
      message: `${field ? `${field}: ` : ''}${typeof e.message === 'string' ? e.message : 'error'}`,
      personalization: m ? Number(m[1]) : undefined,
    };
  });
}
