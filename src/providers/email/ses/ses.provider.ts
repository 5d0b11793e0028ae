import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader } from '../../options.ts';
import type { ProviderType, ReceiptSource } from '../../registry.ts';
import { readSmtpOptions, SmtpProvider } from '../smtp/smtp.provider.ts';
import { parseSesNotification, SES_TAG, type SesReceiptOptions } from './receipts.ts';
import { defaultSnsTransport, SnsVerifier, type SnsTransport } from './sns.ts';

/**
 * Amazon SES (docs/providers/ses.md): sends through SES's SMTP interface (the smtp options, with
 * SES SMTP credentials) and takes bounce, complaint and delivery notifications from an SNS topic
 * subscribed to POST /v1/providers/{name}/events. The SNS signature is verified; the certificate
 * comes only from an SNS host.
 */
function readSesOptions(o: OptionReader): SesReceiptOptions {
  const raw = o.str('topicArns');
  return {
    topicArns: raw
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
  };
}

/** The SES type; `transport` replaces how SNS URLs are checked and fetched (tests only). */
export function sesProviderType(transport: SnsTransport = defaultSnsTransport): ProviderType {
  return {
    type: 'ses',
    channels: ['email'],
    validate(cfg, problems) {
      const o = new OptionReader(cfg, problems);
      readSesOptions(o);
      readSmtpOptions(cfg, problems, o);
    },
    create(cfg: ProviderConfig, ctx) {
      const o = new OptionReader(cfg);
      const receipts = readSesOptions(o);
      const sns = new SnsVerifier(transport);
      const provider = new SmtpProvider(cfg, readSmtpOptions(cfg, undefined, o), ctx, {
        type: 'ses',
        signedReceipts: true,
        // Event publishing (a configuration set) echoes message tags in mail.tags.
        headers: (m) => ({ 'X-SES-MESSAGE-TAGS': `${SES_TAG}=${m.id}` }),
        // SES answers `250 Ok <ses-message-id>`: the id its notifications carry as mail.messageId.
        providerMessageId: (response) => /^250 Ok (\S+)/i.exec(response)?.[1],
      });
      const source: ReceiptSource = { parseReceipts: (req) => parseSesNotification(req, receipts, sns) };
      return Object.assign(provider, source);
    },
  };
}

export const sesType = sesProviderType();
