import { baseUrlOption, OptionReader, type ProviderSchema } from '../../options.ts';

/** The sms-batch provider's own options (docs/providers/sms-batch.md). */
export interface SmsBatchOptions {
  baseUrl: string;
  token: string;
  batchSize: number;
  lingerMs: number;
  from: string | undefined;
  statusCallbackUrl: string | undefined;
  webhookSecret: string | undefined;
  webhookToleranceSec: number;
}

/** The API's own cap on messages per call. */
export const SMS_BATCH_MAX = 1000;

export function readSmsBatchOptions(r: OptionReader): SmsBatchOptions {
  const opts: SmsBatchOptions = {
    baseUrl: baseUrlOption(r, 'baseUrl'),
    token: r.str('token', true),
    batchSize: r.int('batchSize', 100, 1, SMS_BATCH_MAX),
    lingerMs: r.int('lingerMs', 200, 0, 60_000),
    from: r.str('from'),
    statusCallbackUrl: r.url('statusCallbackUrl', ['http', 'https'])?.href,
    webhookSecret: r.str('webhookSecret'),
    webhookToleranceSec: r.int('webhookToleranceSec', 300, 1, 86_400),
  };
  r.done();
  return opts;
}

export const smsBatchSchema: ProviderSchema = {
  type: 'sms-batch',
  channels: ['sms'],
  validate(cfg, problems) {
    readSmsBatchOptions(new OptionReader(cfg, problems));
  },
};
