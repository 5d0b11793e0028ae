import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * SendGrid's Signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is a base64 DER
 * ECDSA P-256 / SHA-256 signature over `timestamp + raw body`, with the timestamp from
 * `X-Twilio-Email-Event-Webhook-Timestamp`; the public key (from the SendGrid console) is base64
 * SPKI DER. The raw bytes must be used: re-serialised JSON would not verify.
 */
export function readPublicKey(base64Der: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(base64Der, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec') throw new Error('not an EC public key');
  return key;
}

export function verifyEventSignature(
  key: KeyObject,
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: Buffer,
): boolean {
  if (!signature || !timestamp) return false;
  try {
    return verify(
      'sha256',
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      { key, dsaEncoding: 'der' },
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false; // a malformed DER signature is simply not valid
  }
}
