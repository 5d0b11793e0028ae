import { createHash } from 'node:crypto';

/**
 * The key under which preferences and suppressions are kept for a recipient: e-mail addresses
 * compare without case (domain parts are case-insensitive, and in practice so are local parts);
 * phone numbers without spaces, dashes or parentheses. Anything else is kept as given.
 */
export function recipientKey(recipient: string): string {
  const r = recipient.trim();
  if (r.includes('@')) return r.toLowerCase();
  if (/^\+?[0-9\s()-]+$/.test(r)) return r.replace(/[\s()-]/g, '');
  return r;
}

/**
 * What stays of an erased recipient's suppression entry (GDPR Art. 17): `sha256:` and the hex
 * SHA-256 of its recipientKey. Enough to keep refusing the address, never to read it back
 * (a pseudonym: someone who already knows an address can test it; docs/decisions/0024).
 */
export function recipientHash(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
