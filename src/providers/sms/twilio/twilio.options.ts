import { baseUrlOption, OptionReader, type ProviderSchema } from '../../options.ts';

/** The twilio provider's own options (docs/providers/twilio.md). */
export interface TwilioOptions {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  from: string | undefined;
  messagingServiceSid: string | undefined;
  statusCallbackUrl: string | undefined;
}

export function readTwilioOptions(r: OptionReader): TwilioOptions {
  const opts: TwilioOptions = {
    baseUrl: baseUrlOption(r, 'baseUrl', 'https://api.twilio.com'),
    accountSid: r.str('accountSid', true),
    authToken: r.str('authToken', true),
    from: r.str('from'),
    messagingServiceSid: r.str('messagingServiceSid'),
    statusCallbackUrl: r.url('statusCallbackUrl', ['http', 'https'])?.href,
  };
  r.done();
  return opts;
}

export const twilioSchema: ProviderSchema = {
  type: 'twilio',
  channels: ['sms'],
  validate(cfg, problems) {
    const opts = readTwilioOptions(new OptionReader(cfg, problems));
    if (!opts.from && !opts.messagingServiceSid)
      problems.push(`providers[${cfg.name}]: twilio needs from or messagingServiceSid`);
  },
};
