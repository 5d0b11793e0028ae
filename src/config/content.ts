import { readFileSync } from 'node:fs';
import { parseDuration } from './durations.ts';

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

type Env = Record<string, string | undefined>;

export function readContentConfig(env: Env, listen: { host: string; port: number }, problems: string[]): ContentConfig {
  const segments = env.HERALD_SMS_MAX_SEGMENTS?.trim() || '10';
  const smsMaxSegments = Number(segments);
  if (!Number.isInteger(smsMaxSegments) || smsMaxSegments < 1 || smsMaxSegments > 255)
    problems.push(`HERALD_SMS_MAX_SEGMENTS must be an integer from 1 to 255 (got ${JSON.stringify(segments)})`);
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;
  const rawUrl = env.HERALD_PUBLIC_URL?.trim() || `http://${host}:${listen.port}`;
  let publicUrl = rawUrl.replace(/\/+$/, '');
  let urlHost = 'localhost';
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    urlHost = u.hostname;
  } catch {
    problems.push(`HERALD_PUBLIC_URL must be an http(s) URL (got ${JSON.stringify(rawUrl)})`);
    publicUrl = 'http://localhost';
  }
  const ttlRaw = env.HERALD_UNSUBSCRIBE_TTL?.trim() || '90d';
  const ttl = parseDuration(ttlRaw);
  if (ttl === undefined || ttl < 60_000)
    problems.push(`HERALD_UNSUBSCRIBE_TTL must be a duration of at least 1m, like 90d or 720h (got ${ttlRaw})`);
  const mailto = env.HERALD_UNSUBSCRIBE_MAILTO?.trim() || undefined;
  if (mailto && !/^[^\s@<>]+@[^\s@<>]+$/.test(mailto))
    problems.push(`HERALD_UNSUBSCRIBE_MAILTO must be an e-mail address (got ${JSON.stringify(mailto)})`);
  return {
    smsMaxSegments: Number.isInteger(smsMaxSegments) ? smsMaxSegments : 10,
    publicUrl,
    unsubscribeSecret: secretFrom(env, 'HERALD_UNSUBSCRIBE_SECRET', problems),
    unsubscribeTtlMs: ttl ?? 90 * 86_400_000,
    unsubscribeMailto: mailto,
    messageIdDomain: env.HERALD_MESSAGE_ID_DOMAIN?.trim() || (env.HERALD_PUBLIC_URL?.trim() ? urlHost : undefined),
  };
}

/** NAME, or the contents of the file NAME_FILE names (Docker/Kubernetes secrets). */
export function secretFrom(env: Env, name: string, problems: string[]): string | undefined {
  const file = env[`${name}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as Error).message})`);
      return undefined;
    }
  }
  const v = env[name];
  if (v !== undefined && v.length > 0 && v.length < 16) problems.push(`${name} must be at least 16 characters`);
  return v || undefined;
}
