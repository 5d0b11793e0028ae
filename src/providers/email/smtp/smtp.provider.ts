import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { ProviderConfig } from '../../../config/config.ts';
import type { Message } from '../../../domain/message.ts';
import { excerpt } from '../../../domain/message.ts';
import { coerceError } from '../../../errors/app-error.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../../provider.ts';
import { suppressRecipient } from '../../../services/suppressions.ts';
import type { ProviderContext, ProviderType } from '../../registry.ts';
import { isHardBounce } from '../bounce.ts';
import { outgoingMail } from '../mail.ts';
import { readSmtpOptions, smtpSchema, type SmtpOptions } from './smtp.options.ts';

type SmtpError = Error & { code?: string; responseCode?: number; command?: string; response?: string };

/**
 * What an SMTP failure means (RFC 5321 §4.2.1): 4xx replies are transient, 5xx permanent; no reply
 * at all (refused, reset, timed out) is transient and the provider's. A 5xx is the recipient's
 * unless it came before the envelope (connection, greeting, AUTH): then the provider is unusable.
 */
export type SmtpFailure = Extract<DeliveryResult, { ok: false }> & { hardBounce?: boolean };

export function classifySmtpError(err: unknown): SmtpFailure {
  const e = coerceError(err) as SmtpError;
  const code = e.responseCode;
  const response = excerpt(e.response ?? e.message) ?? undefined;
  if (code === undefined || code < 400) {
    return { ok: false, retry: 'transient', blame: 'provider', reason: `${e.code ?? e.name}: ${e.message}`, response };
  }
  const transient = code < 500;
  const providerSide = e.code === 'EAUTH' || e.command === 'CONN' || e.command === 'EHLO' || e.command === 'HELO';
  return {
    hardBounce: !providerSide && isHardBounce(code, e.response ?? e.message),
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
/**
 * What an SMTP relay with its own receipts (SES, Mailgun, Postmark) adds to plain SMTP: headers
 * that make its events name Herald's message, and where its own message id is.
 */
export interface SmtpFlavour {
  type: string;
  headers?(m: Message): Record<string, string>;
  /** The relay's message id from the SMTP reply (SES: `250 Ok <id>`), to find receipts by. */
  providerMessageId?(response: string): string | undefined;
  signedReceipts: boolean;
}

export class SmtpProvider implements Provider {
  readonly name: string;
  readonly type: string;
  readonly channel = 'email' as const;
  readonly capabilities: ProviderCapabilities;
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;
  private readonly opts: SmtpOptions;
  private readonly ctx: Partial<ProviderContext>;
  private readonly flavour: SmtpFlavour | undefined;

  constructor(cfg: ProviderConfig, opts: SmtpOptions, ctx: Partial<ProviderContext> = {}, flavour?: SmtpFlavour) {
    this.name = cfg.name;
    this.opts = opts;
    this.ctx = ctx;
    this.flavour = flavour;
    this.type = flavour?.type ?? 'smtp';
    const receipts = flavour !== undefined;
    this.capabilities = { maxBatch: 1, lingerMs: 0, receipts, signedReceipts: flavour?.signedReceipts ?? false };
    const logger = ctx.logger;
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
      ...(opts.dkim ? { dkim: opts.dkim } : {}),
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
    const out = outgoingMail(m, this.ctx.mail, this.opts.from);
    if (!out)
      return {
        ok: false,
        retry: 'permanent',
        blame: 'recipient',
        reason: 'no sender: set from (or the provider option from)',
      };
    // text + html: nodemailer writes multipart/alternative, text first (RFC 2046 §5.1.4: preferred last).
    const mail = this.transport.sendMail({
      from: { name: out.from.name ?? '', address: out.from.email },
      to: { name: out.to.name ?? '', address: out.to.email },
      replyTo: out.replyTo,
      subject: out.subject,
      text: out.text,
      html: out.html,
      messageId: out.messageId,
      headers: { ...out.headers, ...prepared(this.flavour?.headers?.(m)) },
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
        providerMessageId: this.flavour?.providerMessageId?.(info.response) ?? info.messageId,
        statusCode: Number(/^\d{3}/.exec(info.response)?.[0]) || undefined,
        response: excerpt(info.response) ?? undefined,
      }),
      (err: unknown) => this.failed(m, classifySmtpError(err)),
    );
    return Promise.race([sent, aborted]);
  }

  /** A hard bounce at send time suppresses the address, as a bounce receipt would (HERALD_AUTO_SUPPRESS). */
  private async failed(m: Message, r: SmtpFailure): Promise<DeliveryResult> {
    const { config, store, clock, logger } = this.ctx;
    if (!r.hardBounce || !store || !(config?.autoSuppress ?? true)) return r;
    await suppressRecipient(store, m, `hard bounce: ${r.reason}`, 'bounce', clock?.now() ?? Date.now()).catch(
      (err: unknown) =>
        logger?.warn({ err: coerceError(err), provider: this.name }, 'could not suppress after a hard bounce'),
    );
    return r;
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** A relay's own headers go out exactly as written (ASCII; nodemailer would MIME-encode JSON quotes). */
function prepared(h: Record<string, string> | undefined): Record<string, { prepared: true; value: string }> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, value]) => [k, { prepared: true as const, value }]));
}

export const smtpType: ProviderType = {
  ...smtpSchema,
  create: (cfg, ctx) => new SmtpProvider(cfg, readSmtpOptions(cfg), ctx),
};
