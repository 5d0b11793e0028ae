import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * sms-batch status updates are signed (docs/providers/sms-batch.md): header
 * `X-SmsBatch-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>`, several
 * space-separated during a secret rotation, and `X-SmsBatch-Timestamp` in unix seconds.
 */
export function signSmsBatch(secret: string, timestampSec: number | string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secret).update(`${timestampSec}.`).update(rawBody).digest('hex');
  return `v1=${mac}`;
}

export type SignatureCheck = { ok: true } | { ok: false; why: string };

export function verifySmsBatch(
  secret: string,
  header: string | undefined,
  timestamp: string | undefined,
  rawBody: Buffer,
  nowMs: number,
  toleranceSec: number,
): SignatureCheck {
  if (!header || !timestamp) return { ok: false, why: 'missing X-SmsBatch-Signature or X-SmsBatch-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'X-SmsBatch-Timestamp is not unix seconds' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec)
    return { ok: false, why: 'X-SmsBatch-Timestamp is too far from now' };
  const expected = Buffer.from(signSmsBatch(secret, timestamp, rawBody));
  for (const candidate of header.split(' ')) {
    const got = Buffer.from(candidate.trim());
    if (got.length === expected.length && timingSafeEqual(got, expected)) return { ok: true };
  }
  return { ok: false, why: 'the signature does not match' };
}
