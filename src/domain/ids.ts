import { randomBytes } from 'node:crypto';

/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version, 74 random bits. Time-ordered, so the
 * primary key doubles as a creation-time cursor. Within one millisecond a counter in the random
 * bits keeps ids from one process increasing.
 */
let lastMs = 0;
let seq = 0;

// Random bytes are drawn 4 KiB at a time: one syscall per 256 ids instead of one per id (hot in bulk inserts).
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;
function random16(): Buffer {
  if (poolAt + 16 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  const b = pool.subarray(poolAt, poolAt + 16); // consumed: writing into it is fine
  poolAt += 16;
  return b;
}

export function uuidv7(now: number = Date.now()): string {
  const b = random16();
  if (now <= lastMs) {
    now = lastMs;
    seq = (seq + 1) & 0xfff;
    if (seq === 0) now = ++lastMs;
  } else {
    lastMs = now;
    seq = b.readUInt16BE(6) & 0x7ff; // start low so the counter has room to grow
  }
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (seq >> 8);
  b[7] = seq & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID_RE = new RegExp(UUID_PATTERN);
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
