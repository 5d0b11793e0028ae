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
  type HttpAnswer,
} from '../../http-client/http-client.ts';
import { OptionReader } from '../../options.ts';
import { readFbrqOptions, fbrqSchema, type FbrqOptions } from './fbrq.options.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType } from '../../registry.ts';
import { phoneDigits } from '../phone.ts';
import { fbrqMessageId } from './msg-id.ts';

/**
 * The "probe" SMS API of seed 003 (docs/providers/fbrq.md):
 * `POST {baseUrl}/send/{msgId}` with `{"id": msgId, "phone": <digits>, "text"}` and a Bearer token.
 * `200 {"code":0,"message":"OK"}` is success. The API has no delivery receipts, so its OK is
 * taken as `delivered` (nothing later could move the message on from `sent`).
 * 400 is permanent (the request or number), 401/403 permanent and the provider's (credentials);
 * timeouts, 5xx, and any answer that is not the expected JSON are transient: this provider is
 * known to be slow and to answer nonsense for a while.
 */
export const fbrqType: ProviderType = {
  ...fbrqSchema,
  create(cfg, ctx) {
    return new FbrqProvider(cfg, readFbrqOptions(new OptionReader(cfg)), ctx.clock);
  },
};

export class FbrqProvider implements Provider {
  readonly name: string;
  readonly type = 'fbrq';
  readonly channel = 'sms' as const;
  readonly capabilities: ProviderCapabilities = { maxBatch: 1, lingerMs: 0, receipts: false, signedReceipts: false };
  private readonly opts: FbrqOptions;
  private readonly agent: Agent;
  private readonly clock: Clock;

  constructor(cfg: ProviderConfig, opts: FbrqOptions, clock: Clock) {
    this.name = cfg.name;
    this.opts = opts;
    this.clock = clock;
    this.agent = createAgent(cfg);
  }

  send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    return Promise.all(batch.map((m) => this.sendOne(m, signal)));
  }

  private async sendOne(m: Message, signal: AbortSignal): Promise<DeliveryResult> {
    const phone = phoneDigits(m.recipient);
    if (!phone) return fail('permanent', 'recipient', `not a phone number: ${JSON.stringify(m.recipient)}`);
    if (!m.text) return fail('permanent', 'recipient', 'an SMS needs a text');
    const msgId = fbrqMessageId(m.id).toString();
    // Written by hand: msgId may exceed 2^53, which JSON.stringify of a number would round.
    const body = `{"id":${msgId},"phone":${phone},"text":${JSON.stringify(m.text)}}`;
    const token = this.opts.token.replace(/^Bearer\s+/i, '');
    const r = await send(
      this.agent,
      {
        method: 'POST',
        url: `${this.opts.baseUrl}/send/${msgId}`,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body,
      },
      signal,
    );
    if (!r.ok) return r.failure;
    return this.classify(r.answer, msgId);
  }

  private classify(a: HttpAnswer, msgId: string): DeliveryResult {
    const now = this.clock.now();
    if (a.status === 200) {
      const json = parseJson(a.text);
      const ok = isRecord(json) && json.message === 'OK' && (json.code === undefined || json.code === 0);
      if (ok) return { ok: true, state: 'delivered', providerMessageId: msgId, statusCode: 200, response: a.text };
      return httpFailure(a, 'transient', 'provider', 'malformed answer from the provider', now);
    }
    if (a.status === 400)
      return httpFailure(a, 'permanent', 'recipient', 'HTTP 400: the provider refused the message', now);
    if (a.status === 401) return httpFailure(a, 'permanent', 'provider', 'HTTP 401: the token was refused', now);
    return defaultStatusFailure(a, `HTTP ${a.status}`, now);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
