import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  /** DKIM signing (RFC 6376) by nodemailer, with the private key read from `dkimKeyFile`. */
  dkim: { domainName: string; keySelector: string; privateKey: string } | undefined;
}

/** `o`: a reader that already took a relay's own options (SES, Mailgun, Postmark), so done() knows them. */
export function readSmtpOptions(
  cfg: ProviderConfig,
  problems?: string[],
  o = new OptionReader(cfg, problems),
): SmtpOptions {
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
    dkim: readDkim(o, cfg.name, problems),
  };
  o.done();
  if (problems && opts.user !== undefined && opts.pass === undefined)
    problems.push(`providers[${cfg.name}].pass is required with user`);
  return opts;
}

/** dkimDomain + dkimSelector + dkimKeyFile (a PEM private key, e.g. a mounted secret): all or none. */
function readDkim(o: OptionReader, name: string, problems?: string[]): SmtpOptions['dkim'] {
  const domainName = o.str('dkimDomain');
  const keySelector = o.str('dkimSelector');
  const keyFile = o.str('dkimKeyFile');
  const given = [domainName, keySelector, keyFile].filter((x) => x !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) {
    problems?.push(`providers[${name}]: DKIM needs dkimDomain, dkimSelector and dkimKeyFile together`);
    return undefined;
  }
  try {
    const privateKey = readFileSync(keyFile!, 'utf8');
    createPrivateKey(privateKey); // refuses what is not a private key, at start rather than at the first send
    return { domainName: domainName!, keySelector: keySelector!, privateKey };
  } catch (err) {
    problems?.push(
      `providers[${name}].dkimKeyFile: cannot use ${keyFile} as a PEM private key (${(err as Error).message})`,
    );
    return undefined;
  }
}

export const smtpSchema: ProviderSchema = {
  type: 'smtp',
  channels: ['email'],
  validate: (cfg, problems) => void readSmtpOptions(cfg, problems),
};
