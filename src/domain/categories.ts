/**
 * Category bit flags (postmaster's `flags`): a message carries the categories it belongs to; a
 * recipient's opt-out set names the categories they refuse. Bit 1 is reserved: no message may
 * carry it, so an opt-out of exactly 1 means "opted into everything" (postmaster's rule), and 0
 * is refused as an opt-out because it cannot be told from "never set".
 *
 * Flags can exceed 32 bits (the column is a bigint), and JavaScript's `&` truncates to 32 bits,
 * so intersections go through BigInt.
 */
export const RESERVED_CATEGORY_BIT = 1;

/** Largest flag set we accept: a JSON number stays exact up to 2^53 − 1. */
export const MAX_FLAGS = Number.MAX_SAFE_INTEGER;

export function isFlagSet(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Whether two flag sets share a bit. */
export function intersects(a: number, b: number): boolean {
  if (a === 0 || b === 0) return false;
  return (BigInt(a) & BigInt(b)) !== 0n;
}

/** The shared bits of two flag sets. */
export function intersection(a: number, b: number): number {
  return Number(BigInt(a) & BigInt(b));
}

export function carriesReservedBit(categories: number): boolean {
  return intersects(categories, RESERVED_CATEGORY_BIT);
}

/** Checks an opt-out set as UpdatePrefs / PUT /v1/preferences take it; a message, or undefined when valid. */
export function optOutProblem(flags: unknown): string | undefined {
  if (!isFlagSet(flags)) return 'must be a non-negative integer bit mask';
  if (flags === 0) return 'must not be 0: send 1 to opt into every category';
  return undefined;
}

/** The bit values set in a flag set, lowest first (for readable reasons). */
export function bitsOf(flags: number): number[] {
  const out: number[] = [];
  let v = BigInt(flags);
  let bit = 1n;
  while (v > 0n) {
    if (v & 1n) out.push(Number(bit));
    v >>= 1n;
    bit <<= 1n;
  }
  return out;
}
