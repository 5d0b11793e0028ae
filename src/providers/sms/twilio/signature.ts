import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio request validation (twilio.com/docs/usage/security): `X-Twilio-Signature` is
 * base64(HMAC-SHA1(authToken, fullUrl + each POST parameter's name and value, names sorted)).
 * Twilio adds parameters without notice, so every posted parameter is covered, never a fixed list.
 */
export type FormParams = Record<string, string | readonly string[]>;

export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key]!;
    const values = typeof v === 'string' ? [v] : [...v].sort();
    for (const value of values) data += key + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The URL as Twilio may have signed it: behind a proxy the port can appear or vanish, so the
 * URL is tried as given and with its default port (443/80) added or removed. The string is
 * edited by hand because `new URL()` would drop a default port silently.
 */
export function urlVariants(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const port = scheme.toLowerCase() === 'https' ? '443' : '80';
  const withPort = /:\d+$/.test(authority);
  if (withPort && authority.endsWith(`:${port}`))
    return [url, `${scheme}://${authority.slice(0, -port.length - 1)}${rest}`];
  if (!withPort) return [url, `${scheme}://${authority}:${port}${rest}`];
  return [url];
}

/** Whether `signature` is valid for any of the candidate URLs; compared in constant time. */
export function validTwilioSignature(
  authToken: string,
  signature: string | undefined,
  urls: readonly string[],
  params: FormParams,
): boolean {
  if (!signature) return false;
  const got = Buffer.from(signature);
  let ok = false;
  for (const url of new Set(urls.flatMap(urlVariants))) {
    const expected = Buffer.from(twilioSignature(authToken, url, params));
    // No early return: the time taken does not tell which variant matched.
    if (expected.length === got.length && timingSafeEqual(expected, got)) ok = true;
  }
  return ok;
}

/** Reads a form-encoded body into parameters, keeping repeated names as lists. */
export function parseForm(raw: string): FormParams {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}
