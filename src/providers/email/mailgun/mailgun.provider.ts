import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { SmtpProvider } from '../smtp/smtp.provider.ts';
import { mailgunSchema, readMailgunOptions } from './mailgun.options.ts';
import { mailgunHeaders, parseMailgunEvent } from './receipts.ts';

/**
 * Mailgun (docs/providers/mailgun.md): sends through Mailgun's SMTP relay (the smtp options) and
 * takes its webhooks at POST /v1/providers/{name}/events, signed with the webhook signing key.
 */
export const mailgunType: ProviderType = {
  ...mailgunSchema,
  create(cfg, ctx) {
    const opts = readMailgunOptions(cfg);
    const provider = new SmtpProvider(cfg, opts.smtp, ctx, {
      type: 'mailgun',
      signedReceipts: true,
      headers: mailgunHeaders,
    });
    const source: ReceiptSource = { parseReceipts: (req) => parseMailgunEvent(req, opts, ctx.clock.now()) };
    return Object.assign(provider, source);
  },
};
