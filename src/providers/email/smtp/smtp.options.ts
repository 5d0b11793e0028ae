import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader, type ProviderSchema } from '../../options.ts';

/** The smtp provider's own options (docs/providers/smtp.md). */
export interface SmtpOptions {
  url: URL;
  user: string | undefined;
  pass: string | undefined;
  /** TLS from the first byte (smtps, port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  from: string | undefined;
  /** Connections in the pool (default: the provider's concurrency). */
  poolSize: number;
  /** Messages per connection before it is replaced. */
  maxMessages: number;
  rejectUnauthorized: boolean;
}

export function readSmtpOptions(cfg: ProviderConfig, problems?: string[]): SmtpOptions {
  const o = new OptionReader(cfg, problems);
  const url = o.url('url', ['smtp', 'smtps'], true);
  const opts: SmtpOptions = {
    url,
    user: o.str('user') ?? (url?.username ? decodeURIComponent(url.username) : undefined),
    pass: o.str('pass') ?? (url?.password ? decodeURIComponent(url.password) : undefined),
    secure: o.bool('secure', url?.protocol === 'smtps:'),
    from: o.str('from'),
    poolSize: o.int('poolSize', cfg.concurrency, 1, 1000),
    maxMessages: o.int('maxMessages', 100, 1, 1_000_000),
    rejectUnauthorized: o.bool('rejectUnauthorized', true),
  };
  o.done();
  if (problems && opts.user !== undefined && opts.pass === undefined)
    problems.push(`providers[${cfg.name}].pass is required with user`);
  return opts;
}

export const smtpSchema: ProviderSchema = {
  type: 'smtp',
  channels: ['email'],
  validate: (cfg, problems) => void readSmtpOptions(cfg, problems),
};
