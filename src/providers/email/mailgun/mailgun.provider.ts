import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader } from '../../options.ts';
import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { readSmtpOptions, SmtpProvider } from '../smtp/smtp.provider.ts';
import { mailgunHeaders, parseMailgunEvent, type MailgunReceiptOptions } from './receipts.ts';

/**
 * Mailgun (docs/providers/mailgun.md): sends through Mailgun's SMTP relay (the smtp options) and
 * takes its webhooks at POST /v1/providers/{name}/events, signed with the webhook signing key.
 */
function readMailgunOptions(o: OptionReader): MailgunReceiptOptions {
  return { signingKey: o.str('webhookSigningKey', true), toleranceSec: o.int('webhookToleranceSec', 900, 1, 86_400) };
}

export const mailgunType: ProviderType = {
  type: 'mailgun',
  channels: ['email'],
  validate(cfg, problems) {
    const o = new OptionReader(cfg, problems);
    readMailgunOptions(o);
    readSmtpOptions(cfg, problems, o);
  },
  create(cfg: ProviderConfig, ctx) {
    const o = new OptionReader(cfg);
    const receipts = readMailgunOptions(o);
    const provider = new SmtpProvider(cfg, readSmtpOptions(cfg, undefined, o), ctx, {
      type: 'mailgun',
      signedReceipts: true,
      headers: mailgunHeaders,
    });
    const source: ReceiptSource = { parseReceipts: (req) => parseMailgunEvent(req, receipts, ctx.clock.now()) };
    return Object.assign(provider, source);
  },
};
