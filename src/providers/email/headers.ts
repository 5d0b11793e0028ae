/**
 * Which headers a caller may add to an e-mail. Everything that identifies, routes, authenticates
 * or structures the message is Herald's to write (From, To, Subject, Date, Message-ID, MIME and
 * Content-* headers, DKIM-Signature, List-Unsubscribe…), so a caller can neither spoof nor break
 * it; what remains is an allow-list of informational headers and the `X-` extension space
 * (except Herald's own `X-Herald-*`).
 */
const ALLOWED = new Set([
  'in-reply-to',
  'references',
  'list-id',
  'precedence',
  'auto-submitted',
  'keywords',
  'comments',
  'importance',
  'priority',
  'x-priority',
]);

const NAME_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,76}$/;

/** Answers a problem with the header, or undefined when it may be sent as is. */
export function headerProblem(name: string, value: string): string | undefined {
  if (!NAME_RE.test(name)) return 'is not a valid header name';
  const lower = name.toLowerCase();
  if (lower.startsWith('x-herald-')) return 'is Herald’s own header';
  if (!ALLOWED.has(lower) && !lower.startsWith('x-'))
    return `may not be set: allowed are X-… headers and ${[...ALLOWED].filter((h) => !h.startsWith('x-')).join(', ')}`;
  if (/[\r\n]/.test(value)) return 'must not contain line breaks';
  if (value.length > 998) return 'must be at most 998 characters';
  return undefined;
}
