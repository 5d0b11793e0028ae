import { createHash } from 'node:crypto';

/**
 * The probe API (seed 003) names each message with a positive int64 (`POST /send/{msgId}`,
 * body `id`), while Herald's ids are UUIDv7 strings. The number is derived from the id alone, so
 * a retry of the same message reuses it (the idempotency key) and the mapping survives restarts:
 * the first 8 bytes of SHA-256(id) with the sign bit cleared, i.e. uniform in [1, 2^63 - 1].
 * Two ids collide with probability ≈ n² / 2^64 (about 5·10⁻⁸ after a million messages).
 * Herald stores the number as the message's providerMessageId.
 *
 * The number may exceed 2^53, so it is a bigint and is written into JSON by hand.
 */
export function fbrqMessageId(heraldId: string): bigint {
  const digest = createHash('sha256').update(heraldId, 'utf8').digest();
  const n = digest.readBigUInt64BE(0) & 0x7fff_ffff_ffff_ffffn;
  return n === 0n ? 1n : n;
}
