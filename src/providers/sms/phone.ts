/**
 * Reads an SMS recipient as the digits of an international number: `+7 (900) 123-45-67` →
 * `79001234567`. Spaces, dashes, dots and parentheses are dropped; a leading `+` is optional.
 * E.164 numbers have at most 15 digits (ITU-T E.164 §6.1); fewer than 7 cannot be one, and a
 * leading 0 is a national trunk prefix, not a country code. Undefined when it is not a number.
 */
export function phoneDigits(recipient: string): string | undefined {
  const s = recipient.trim().replace(/[\s().-]/g, '');
  const m = /^\+?([1-9]\d{6,14})$/.exec(s);
  return m?.[1];
}

/** The number in E.164 form (`+` and digits), or undefined. */
export function e164(recipient: string): string | undefined {
  const d = phoneDigits(recipient);
  return d === undefined ? undefined : `+${d}`;
}
