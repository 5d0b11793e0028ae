import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader } from '../../options.ts';
import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { readSmtpOptions, SmtpProvider } from '../smtp/smtp.provider.ts';
import { parsePostmarkWebhook, POSTMARK_META } from './receipts.ts';

/**
 * Postmark (docs/providers/postmark.md): sends through Postmark's SMTP server (the smtp options,
 * the server token as user and password) and takes its webhooks at POST
 * /v1/providers/{name}/events behind basic auth (`webhookPassword`).
 */
export const postmarkType: ProviderType = {
  type: 'postmark',
  channels: ['email'],
  validate(cfg, problems) {
    readSmtpOptions(cfg, problems, new OptionReader(cfg, problems));
  },
  create(cfg: ProviderConfig, ctx) {
    const password = typeof cfg.options.webhookPassword === 'string' ? cfg.options.webhookPassword : undefined;
    if (!password)
      ctx.logger.warn(
        { provider: cfg.name },
        'postmark provider without webhookPassword: its webhooks are not authenticated',
      );
    const provider = new SmtpProvider(cfg, readSmtpOptions(cfg), ctx, {
      type: 'postmark',
      signedReceipts: password !== undefined,
      headers: (m) => ({ [`X-PM-Metadata-${POSTMARK_META}`]: m.id }),
    });
    const source: ReceiptSource = { parseReceipts: (req) => parsePostmarkWebhook(req, password) };
    return Object.assign(provider, source);
  },
};
