import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { SmtpProvider } from '../smtp/smtp.provider.ts';
import { postmarkSchema, readPostmarkOptions } from './postmark.options.ts';
import { parsePostmarkWebhook, POSTMARK_META } from './receipts.ts';

/**
 * Postmark (docs/providers/postmark.md): sends through Postmark's SMTP server (the smtp options,
 * the server token as user and password) and takes its webhooks at POST
 * /v1/providers/{name}/events behind basic auth (`webhookPassword`).
 */
export const postmarkType: ProviderType = {
  ...postmarkSchema,
  create(cfg, ctx) {
    const opts = readPostmarkOptions(cfg);
    if (!opts.webhookPassword)
      ctx.logger.warn(
        { provider: cfg.name },
        'postmark provider without webhookPassword: its webhooks must carry an API key',
      );
    const provider = new SmtpProvider(cfg, opts.smtp, ctx, {
      type: 'postmark',
      signedReceipts: opts.webhookPassword !== undefined,
      headers: (m) => ({ [`X-PM-Metadata-${POSTMARK_META}`]: m.id }),
    });
    const source: ReceiptSource = { parseReceipts: (req) => parsePostmarkWebhook(req, opts.webhookPassword) };
    return Object.assign(provider, source);
  },
};
