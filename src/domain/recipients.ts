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
