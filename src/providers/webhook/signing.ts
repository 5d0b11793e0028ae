import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signature (standardwebhooks.com): `v1,` + base64 HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, keyed with the base64-decoded part of a `whsec_` secret
 * (any other secret is used as UTF-8 bytes).
 */
export function signStandardWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The three Standard Webhooks headers. Several secrets (a rotation's overlap) give one `v1,`
 * signature each, space-separated in one header, as the specification allows: a receiver holding
 * either secret verifies.
 */
export function standardWebhookHeaders(
  secret: string | readonly string[],
  id: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': secrets.map((s) => signStandardWebhook(s, id, ts, body)).join(' '),
  };
}
