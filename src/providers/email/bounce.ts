/**
 * Whether an SMTP rejection means the address itself is bad (a hard bounce), so that the address
 * is suppressed. Enhanced status codes (RFC 3463) decide when present: 5.1.x (bad mailbox,
 * domain, syntax) and 5.2.1 (mailbox disabled) are hard; 5.7.x (policy, spam, authentication)
 * and 5.2.2/5.3.4 (full, too big) are about this message, not the address. Without one, 550, 551
 * and 553 are the address's replies (RFC 5321 §4.2.3).
 */
export function isHardBounce(code: number | undefined, response: string | undefined): boolean {
  if (code === undefined || code < 500 || code > 599) return false;
  const enhanced = /\b5\.(\d{1,3})\.(\d{1,3})\b/.exec(response ?? '');
  if (enhanced) return enhanced[1] === '1' || (enhanced[1] === '2' && enhanced[2] === '1');
  return code === 550 || code === 551 || code === 553;
}
