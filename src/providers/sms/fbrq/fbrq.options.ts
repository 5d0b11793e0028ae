import { baseUrlOption, OptionReader, type ProviderSchema } from '../../options.ts';

/** The fbrq provider's own options (docs/providers/fbrq.md). */
export interface FbrqOptions {
  baseUrl: string;
  token: string;
}

export function readFbrqOptions(r: OptionReader): FbrqOptions {
  const opts = { baseUrl: baseUrlOption(r, 'baseUrl', 'https://probe.fbrq.cloud/v1'), token: r.str('token', true) };
  r.done();
  return opts;
}

export const fbrqSchema: ProviderSchema = {
  type: 'fbrq',
  channels: ['sms'],
  validate(cfg, problems) {
    readFbrqOptions(new OptionReader(cfg, problems));
  },
};
