import type { EnvReader } from './env.ts';

/**
 * Options of what Herald puts in messages (issue 15): SMS length, the public address that links
 * in e-mails point at, one-click unsubscribe, and the domain of e-mail Message-IDs. Read by
 * loadConfig with the rest of the environment; docs/configuration.md lists each one.
 */
export interface ContentConfig {
  /** Longest SMS in parts (HERALD_SMS_MAX_SEGMENTS, default 10); longer texts are a 400. */
  smsMaxSegments: number;
  /** Herald's address as recipients reach it (HERALD_PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
  /** Secret that signs unsubscribe tokens; undefined: one is generated and kept in the database. */
  unsubscribeSecret: string | undefined;
  /** How long an unsubscribe link works (HERALD_UNSUBSCRIBE_TTL, default 90 days). */
  unsubscribeTtlMs: number;
  /** Address for the `mailto:` form of List-Unsubscribe (HERALD_UNSUBSCRIBE_MAILTO), if any. */
  unsubscribeMailto: string | undefined;
  /**
   * Domain of the Message-IDs Herald gives e-mails (HERALD_MESSAGE_ID_DOMAIN; default the host of
   * HERALD_PUBLIC_URL when that is set, else undefined: each sender's own domain).
   */
  messageIdDomain: string | undefined;
}

const DAY = 86_400_000;

export function readContentConfig(r: EnvReader, listen: { host: string; port: number }): ContentConfig {
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;
  const given = r.optional('HERALD_PUBLIC_URL')?.trim();
  let publicUrl = (given || `http://${host}:${listen.port}`).replace(/\/+$/, '');
  let urlHost: string | undefined;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    urlHost = u.hostname;
  } catch {
    r.problem(`HERALD_PUBLIC_URL must be an http(s) URL (got ${JSON.stringify(given)})`);
    publicUrl = 'http://localhost';
  }
  const ttl = r.duration('HERALD_UNSUBSCRIBE_TTL', 90 * DAY);
  if (ttl < 60_000) r.problem('HERALD_UNSUBSCRIBE_TTL must be at least 1m (links must outlive the mail)');
  const mailto = r.optional('HERALD_UNSUBSCRIBE_MAILTO')?.trim();
  if (mailto && !/^[^\s@<>]+@[^\s@<>]+$/.test(mailto))
    r.problem(`HERALD_UNSUBSCRIBE_MAILTO must be an e-mail address (got ${JSON.stringify(mailto)})`);
  const secret = r.secret('HERALD_UNSUBSCRIBE_SECRET');
  if (secret !== undefined && secret.length < 16) r.problem('HERALD_UNSUBSCRIBE_SECRET must be at least 16 characters');
  return {
    smsMaxSegments: r.int('HERALD_SMS_MAX_SEGMENTS', 10, 1, 255),
    publicUrl,
    unsubscribeSecret: secret,
    unsubscribeTtlMs: ttl,
    unsubscribeMailto: mailto || undefined,
    messageIdDomain: r.optional('HERALD_MESSAGE_ID_DOMAIN')?.trim() || (given ? urlHost : undefined),
  };
}
