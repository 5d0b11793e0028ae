import type { ProviderConfig } from '../../../config/config.ts';
import type { ProviderSchema } from '../../options.ts';
import { readSmtpOptions, type SmtpOptions } from '../smtp/smtp.options.ts';

/** The postmark provider's options (docs/providers/postmark.md): the smtp options and `webhookPassword`. */
export interface PostmarkOptions {
  smtp: SmtpOptions;
  /** Basic-auth password of its webhooks (any user name); undefined: webhooks are not authenticated. */
  webhookPassword: string | undefined;
}

export function readPostmarkOptions(cfg: ProviderConfig, problems?: string[]): PostmarkOptions {
  const password = cfg.options.webhookPassword;
  return {
    smtp: readSmtpOptions(cfg, problems),
    webhookPassword: typeof password === 'string' && password !== '' ? password : undefined,
  };
}

export const postmarkSchema: ProviderSchema = {
  type: 'postmark',
  channels: ['email'],
  validate: (cfg, problems) => void readPostmarkOptions(cfg, problems),
};
