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
import { readTwilioOptions, twilioSchema, type TwilioOptions } from './twilio.options.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType, ReceiptParse, ReceiptRequest, ReceiptSource } from '../../registry.ts';
import { e164 } from '../phone.ts';
import { HERALD_ID_PARAM, parseTwilioReceipt } from './receipts.ts';

/**
 * Twilio Programmable Messaging (docs/providers/twilio.md):
 * `POST {baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json`, form-encoded, basic auth.
 * 201 with a `sid` is `sent`; the status callback (signed with X-Twilio-Signature) moves it on.
 * Twilio's message-creation API takes no idempotency key: a call that timed out after Twilio
 * accepted it can send the SMS twice when retried. Errors carry Twilio's numeric `code`.
 */
/** 400 codes that say the account or sender is wrong (another provider may succeed), not the recipient. */
const PROVIDER_CODES = new Set([20003, 20404, 21408, 21603, 21606, 21608, 21659, 21703, 21704, 21705]);

export const twilioType: ProviderType = {
  ...twilioSchema,
  create(cfg, ctx) {
    return new TwilioProvider(cfg, readTwilioOptions(new OptionReader(cfg)), ctx.clock);
  },
};

export class TwilioProvider implements Provider, ReceiptSource {
  readonly name: string;
  readonly type = 'twilio';
  readonly channel = 'sms' as const;
  readonly capabilities: ProviderCapabilities = { maxBatch: 1, lingerMs: 0, receipts: true, signedReceipts: true };
  private readonly opts: TwilioOptions;
  private readonly agent: Agent;
  private readonly clock: Clock;
  private readonly auth: string;

  constructor(cfg: ProviderConfig, opts: TwilioOptions, clock: Clock) {
    this.name = cfg.name;
    this.opts = opts;
    this.clock = clock;
    this.agent = createAgent(cfg);
    this.auth = 'Basic ' + Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64');
  }

  send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    return Promise.all(batch.map((m) => this.sendOne(m, signal)));
  }

  private form(m: Message, to: string): string {
    const f = new URLSearchParams({ To: to, Body: m.text ?? '' });
    if (m.sender) f.set('From', m.sender);
    else if (this.opts.messagingServiceSid) f.set('MessagingServiceSid', this.opts.messagingServiceSid);
    else f.set('From', this.opts.from!);
    if (this.opts.statusCallbackUrl) {
      const cb = new URL(this.opts.statusCallbackUrl);
      cb.searchParams.set(HERALD_ID_PARAM, m.id);
      f.set('StatusCallback', cb.href);
    }
    return f.toString();
  }

  private async sendOne(m: Message, signal: AbortSignal): Promise<DeliveryResult> {
    const to = e164(m.recipient);
    if (!to) return fail('permanent', 'recipient', `not a phone number: ${JSON.stringify(m.recipient)}`);
    if (!m.text) return fail('permanent', 'recipient', 'an SMS needs a text');
    const r = await send(
      this.agent,
      {
        method: 'POST',
        url: `${this.opts.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(this.opts.accountSid)}/Messages.json`,
        headers: {
          authorization: this.auth,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: this.form(m, to),
      },
      signal,
    );
    return r.ok ? this.classify(r.answer) : r.failure;
  }

  private classify(a: HttpAnswer): DeliveryResult {
    const now = this.clock.now();
    const json = parseJson(a.text);
    if (a.status === 200 || a.status === 201) {
      if (isRecord(json) && typeof json.sid === 'string' && json.sid !== '')
        return { ok: true, state: 'sent', providerMessageId: json.sid, statusCode: a.status };
      return httpFailure(a, 'transient', 'provider', 'malformed answer from Twilio', now);
    }
    const code = isRecord(json) && typeof json.code === 'number' ? json.code : undefined;
    const message = isRecord(json) && typeof json.message === 'string' ? json.message : undefined;
    const reason = `HTTP ${a.status}${code ? ` Twilio ${code}` : ''}${message ? `: ${message}` : ''}`;
    if (code === 20429) return httpFailure(a, 'transient', 'provider', reason, now);
    if (a.status === 400)
      return httpFailure(a, 'permanent', code && PROVIDER_CODES.has(code) ? 'provider' : 'recipient', reason, now);
    return defaultStatusFailure(a, reason, now);
  }

  parseReceipts(req: ReceiptRequest): ReceiptParse {
    return parseTwilioReceipt(req, this.opts);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
