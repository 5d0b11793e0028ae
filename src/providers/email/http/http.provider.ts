import type { Agent } from 'undici';
import type { ProviderConfig } from '../../../config/config.ts';
import type { Clock } from '../../../domain/clock.ts';
import { excerpt, type Message } from '../../../domain/message.ts';
import { createAgent, httpFailure, send } from '../../http-client/http-client.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType } from '../../registry.ts';
import { httpEmailSchema, readHttpOptions, type HttpEmailOptions } from './http.options.ts';

/** The JSON body the http provider posts: seed 000's mail request shape. */
export interface HttpEmailBody {
  id: string;
  sender: string | null;
  recipient: string;
  subject: string | null;
  html: string | null;
  text: string | null;
}

/**
 * A generic HTTP e-mail gateway (seed 000, the mailing microservice): POSTs one JSON message per
 * request to `url`. Any 2xx is acceptance (`sent`: receipts come later in the generic {ID, STATUS}
 * format on POST /v1/providers/{name}/events); 408, 429, 5xx and no answer are transient; other
 * 4xx are permanent. The message id goes along as `id` and `Idempotency-Key`.
 */
export class HttpEmailProvider implements Provider {
  readonly name: string;
  readonly type = 'http';
  readonly channel = 'email' as const;
  readonly capabilities: ProviderCapabilities = { maxBatch: 1, lingerMs: 0, receipts: true, signedReceipts: false };
  private readonly agent: Agent;
  private readonly opts: HttpEmailOptions;
  private readonly clock: Clock;
  private readonly authHeader: Record<string, string>;

  constructor(cfg: ProviderConfig, opts: HttpEmailOptions, clock: Clock) {
    this.name = cfg.name;
    this.opts = opts;
    this.clock = clock;
    this.agent = createAgent(cfg);
    this.authHeader = opts.token
      ? { authorization: `Bearer ${opts.token}` }
      : opts.user !== undefined
        ? { authorization: `Basic ${Buffer.from(`${opts.user}:${opts.pass ?? ''}`).toString('base64')}` }
        : {};
  }

  send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    return Promise.all(batch.map((m) => this.sendOne(m, signal)));
  }

  private async sendOne(m: Message, signal: AbortSignal): Promise<DeliveryResult> {
    const body: HttpEmailBody = {
      id: m.id,
      sender: m.sender,
      recipient: m.recipient,
      subject: m.subject,
      html: m.html,
      text: m.text,
    };
    const r = await send(
      this.agent,
      {
        method: 'POST',
        url: this.opts.url.href,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Herald/0.1 (+http-email)',
          'idempotency-key': m.id,
          ...this.authHeader,
        },
        body: JSON.stringify(body),
      },
      signal,
    );
    if (!r.ok) return r.failure;
    const a = r.answer;
    if (a.status >= 200 && a.status < 300) {
      // Herald's id is the receipt key (the generic format's ID); the gateway's answer is kept for the log.
      return { ok: true, state: 'sent', statusCode: a.status, response: excerpt(a.text) ?? undefined };
    }
    const transient = a.status === 408 || a.status === 429 || a.status >= 500;
    const now = this.clock.now();
    if (transient) return httpFailure(a, 'transient', 'provider', `HTTP ${a.status}`, now);
    // 401/403: our credentials, not the message: the next provider may do better.
    const blame = a.status === 401 || a.status === 403 ? 'provider' : 'recipient';
    return httpFailure(a, 'permanent', blame, `HTTP ${a.status}`, now);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export const httpEmailType: ProviderType = {
  ...httpEmailSchema,
  create: (cfg, ctx) => new HttpEmailProvider(cfg, readHttpOptions(cfg), ctx.clock),
};
