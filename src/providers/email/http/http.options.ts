import type { ProviderConfig } from '../../../config/config.ts';
import { OptionReader, type ProviderSchema } from '../../options.ts';

/** The http provider's own options (docs/providers/http.md). */
export interface HttpEmailOptions {
  url: URL;
  /** `Authorization: Bearer <token>`. */
  token: string | undefined;
  /** `Authorization: Basic …` (user and password). */
  user: string | undefined;
  pass: string | undefined;
}

export function readHttpOptions(cfg: ProviderConfig, problems?: string[]): HttpEmailOptions {
  const o = new OptionReader(cfg, problems);
  const opts: HttpEmailOptions = {
    url: o.url('url', ['http', 'https'], true),
    token: o.str('token'),
    user: o.str('user'),
    pass: o.str('pass'),
  };
  o.done();
  if (problems && opts.token && opts.user) problems.push(`providers[${cfg.name}]: use token or user/pass, not both`);
  if (problems && opts.pass !== undefined && opts.user === undefined)
    problems.push(`providers[${cfg.name}].user is required with pass`);
  return opts;
}

export const httpEmailSchema: ProviderSchema = {
  type: 'http',
  channels: ['email'],
  validate: (cfg, problems) => void readHttpOptions(cfg, problems),
};
