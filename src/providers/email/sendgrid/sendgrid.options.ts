import type { KeyObject } from 'node:crypto';
import { baseUrlOption, OptionReader, type ProviderSchema } from '../../options.ts';
import { readPublicKey } from './event-signature.ts';

/** The sendgrid provider's own options (docs/providers/sendgrid.md). */
export interface SendgridOptions {
  baseUrl: string;
  apiKey: string;
  from: string | undefined;
  batchSize: number;
  lingerMs: number;
  webhookPublicKey: KeyObject | undefined;
}

export const SENDGRID_MAX_PERSONALIZATIONS = 1000;

export function readSendgridOptions(r: OptionReader, problems?: string[], name = ''): SendgridOptions {
  const rawKey = r.str('webhookPublicKey');
  let webhookPublicKey: KeyObject | undefined;
  if (rawKey) {
    try {
      webhookPublicKey = readPublicKey(rawKey);
    } catch {
      problems?.push(`providers[${name}].webhookPublicKey must be SendGrid's base64 (SPKI DER) EC public key`);
    }
  }
  const opts: SendgridOptions = {
    baseUrl: baseUrlOption(r, 'baseUrl', 'https://api.sendgrid.com'),
    apiKey: r.str('apiKey', true),
    from: r.str('from'),
    batchSize: r.int('batchSize', SENDGRID_MAX_PERSONALIZATIONS, 1, SENDGRID_MAX_PERSONALIZATIONS),
    lingerMs: r.int('lingerMs', 0, 0, 60_000),
    webhookPublicKey,
  };
  r.done();
  return opts;
}

export const sendgridSchema: ProviderSchema = {
  type: 'sendgrid',
  channels: ['email'],
  validate(cfg, problems) {
    readSendgridOptions(new OptionReader(cfg, problems), problems, cfg.name);
  },
};
