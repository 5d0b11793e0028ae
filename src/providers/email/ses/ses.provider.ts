import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { SmtpProvider } from '../smtp/smtp.provider.ts';
import { parseSesNotification, SES_TAG } from './receipts.ts';
import { readSesOptions, sesSchema } from './ses.options.ts';
import { defaultSnsTransport, SnsVerifier, type SnsTransport } from './sns.ts';

/**
 * Amazon SES (docs/providers/ses.md): sends through SES's SMTP interface (the smtp options, with
 * SES SMTP credentials) and takes bounce, complaint and delivery notifications from an SNS topic
 * subscribed to POST /v1/providers/{name}/events. The SNS signature is verified; the certificate
 * comes only from an SNS host.
 */
export function sesProviderType(transport: SnsTransport = defaultSnsTransport): ProviderType {
  return {
    ...sesSchema,
    create(cfg, ctx) {
      const opts = readSesOptions(cfg);
      const sns = new SnsVerifier(transport);
      const provider = new SmtpProvider(cfg, opts.smtp, ctx, {
        type: 'ses',
        signedReceipts: true,
        // Event publishing (a configuration set) echoes message tags in mail.tags.
        headers: (m) => ({ 'X-SES-MESSAGE-TAGS': `${SES_TAG}=${m.id}` }),
        // SES answers `250 Ok <ses-message-id>`: the id its notifications carry as mail.messageId.
        providerMessageId: (response) => /^250 Ok (\S+)/i.exec(response)?.[1],
      });
      const source: ReceiptSource = { parseReceipts: (req) => parseSesNotification(req, opts, sns) };
      return Object.assign(provider, source);
    },
  };
}

/** The registered type; `sesProviderType(transport)` replaces how SNS URLs are checked and fetched (tests only). */
export const sesType = sesProviderType();
