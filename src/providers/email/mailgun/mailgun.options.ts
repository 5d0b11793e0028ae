import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader, type ProviderSchema } from '../../options.ts';
import { readSmtpOptions, type SmtpOptions } from '../smtp/smtp.options.ts';

/** The mailgun provider's options (docs/providers/mailgun.md): the smtp options and the webhook key. */
export interface MailgunOptions {
  smtp: SmtpOptions;
  /** The HTTP webhook signing key (Mailgun's dashboard: Sending → Webhooks). */
  signingKey: string;
  /** How far the signed timestamp may be from now (replays of old posts are refused). */
  toleranceSec: number;
}

export function readMailgunOptions(cfg: ProviderConfig, problems?: string[]): MailgunOptions {
  const o = new OptionReader(cfg, problems);
  const signingKey = o.str('webhookSigningKey', true);
  const toleranceSec = o.int('webhookToleranceSec', 900, 1, 86_400);
  return { signingKey, toleranceSec, smtp: readSmtpOptions(cfg, problems, o) };
}

export const mailgunSchema: ProviderSchema = {
  type: 'mailgun',
  channels: ['email'],
  validate: (cfg, problems) => void readMailgunOptions(cfg, problems),
};
