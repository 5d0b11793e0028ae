import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { ProviderConfig } from '../../../config/config.ts';
import type { Message } from '../../../domain/message.ts';
import { excerpt } from '../../../domain/message.ts';
import { coerceError } from '../../../errors/app-error.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import type { ProviderType } from '../../registry.ts';
import { readSmtpOptions, smtpSchema, type SmtpOptions } from './smtp.options.ts';

type SmtpError = Error & { code?: string; responseCode?: number; command?: string; response?: string };

/**
 * What an SMTP failure means (RFC 5321 §4.2.1): 4xx replies are transient, 5xx permanent; no reply
 * at all (refused, reset, timed out) is transient and the provider's. A 5xx is the recipient's
 * unless it came before the envelope (connection, greeting, AUTH): then the provider is unusable.
 */
export function classifySmtpError(err: unknown): Extract<DeliveryResult, { ok: false }> {
  const e = coerceError(err) as SmtpError;
  const code = e.responseCode;
  const response = excerpt(e.response ?? e.message) ?? undefined;
  if (code === undefined || code < 400) {
    return { ok: false, retry: 'transient', blame: 'provider', reason: `${e.code ?? e.name}: ${e.message}`, response };
  }
  const transient = code < 500;
  const providerSide = e.code === 'EAUTH' || e.command === 'CONN' || e.command === 'EHLO' || e.command === 'HELO';
  return {
    ok: false,
    retry: transient ? 'transient' : 'permanent',
    blame: transient || providerSide ? 'provider' : 'recipient',
    reason: `SMTP ${code}: ${e.message}`,
    statusCode: code,
    response,
  };
}

/**
 * E-mail over SMTP through a nodemailer connection pool. One message per call (an SMTP
 * transaction carries one envelope); the lane's concurrency keeps the pool busy. The Message-ID
 * is derived from Herald's id, so a retried message keeps its identity.
 */
export class SmtpProvider implements Provider {
  readonly name: string;
  readonly type = 'smtp';
  readonly channel = 'email' as const;
  readonly capabilities: ProviderCapabilities = { maxBatch: 1, lingerMs: 0, receipts: false, signedReceipts: false };
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  private readonly opts: SmtpOptions;

  constructor(cfg: ProviderConfig, opts: SmtpOptions, logger?: Logger) {
    this.name = cfg.name;
    this.opts = opts;
    const poolOptions: SMTPPool.Options = {
      pool: true,
      host: opts.url.hostname,
      port: Number(opts.url.port) || (opts.secure ? 465 : 587),
      secure: opts.secure,
      auth: opts.user !== undefined ? { user: opts.user, pass: opts.pass ?? '' } : undefined,
      maxConnections: opts.poolSize,
      maxMessages: opts.maxMessages,
      connectionTimeout: Math.min(cfg.timeoutMs, 10_000),
      greetingTimeout: Math.min(cfg.timeoutMs, 10_000),
      socketTimeout: cfg.timeoutMs,
      tls: { rejectUnauthorized: opts.rejectUnauthorized },
      ...(cfg.rateLimit ? { rateDelta: 1000, rateLimit: Math.max(1, Math.ceil(cfg.rateLimit)) } : {}),
    };
    this.transport = nodemailer.createTransport(poolOptions);
    // A pooled connection's error outside a send must never become an unhandled 'error' event.
    this.transport.on('error', (err) => logger?.warn({ err, provider: cfg.name }, 'SMTP pool error'));
  }

  async send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]> {
    return Promise.all(batch.map((m) => this.sendOne(m, signal)));
  }

  private async sendOne(m: Message, signal: AbortSignal): Promise<DeliveryResult> {
    const from = m.sender ?? this.opts.from;
    if (!from)
      return {
        ok: false,
        retry: 'permanent',
        blame: 'recipient',
        reason: 'no sender: set from (or the provider option from)',
      };
    const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'herald.local';
    const mail = this.transport.sendMail({
      from,
      to: m.recipient,
      subject: m.subject ?? '',
      text: m.text ?? undefined,
      html: m.html ?? undefined,
      messageId: `<${m.id}@${domain}>`,
      headers: { 'X-Herald-Id': m.id },
    });
    const aborted = new Promise<DeliveryResult>((resolve) => {
      const onAbort = () =>
        resolve({
          ok: false,
          retry: 'transient',
          blame: 'provider',
          reason: 'SMTP call aborted (timeout or shutdown)',
        });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const sent = mail.then(
      (info): DeliveryResult => ({
        ok: true,
        state: 'sent',
        providerMessageId: info.messageId,
        statusCode: Number(/^\d{3}/.exec(info.response)?.[0]) || undefined,
        response: excerpt(info.response) ?? undefined,
      }),
      classifySmtpError,
    );
    return Promise.race([sent, aborted]);
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

export const smtpType: ProviderType = {
  ...smtpSchema,
  create: (cfg, ctx) => new SmtpProvider(cfg, readSmtpOptions(cfg), ctx.logger),
};
