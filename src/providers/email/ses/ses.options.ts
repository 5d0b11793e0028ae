import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader, type ProviderSchema } from '../../options.ts';
import { readSmtpOptions, type SmtpOptions } from '../smtp/smtp.options.ts';

/** The ses provider's options (docs/providers/ses.md): the smtp options, and the SNS topics it accepts. */
export interface SesOptions {
  smtp: SmtpOptions;
  /** Only these topics are accepted (empty: any topic whose signature verifies). */
  topicArns: readonly string[];
}

export function readSesOptions(cfg: ProviderConfig, problems?: string[]): SesOptions {
  const o = new OptionReader(cfg, problems);
  const raw = o.str('topicArns');
  const topicArns = raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  return { topicArns, smtp: readSmtpOptions(cfg, problems, o) };
}

export const sesSchema: ProviderSchema = {
  type: 'ses',
  channels: ['email'],
  validate: (cfg, problems) => void readSesOptions(cfg, problems),
};
