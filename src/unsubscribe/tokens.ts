import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';

/**
 * Signed, expiring unsubscribe tokens. A token names the recipient, the categories and campaign
 * of the message it came with, and when it expires; an HMAC-SHA256 under Herald's secret covers
 * all of it, so a token cannot be made for another address or category, nor changed, and stops
 * working at its expiry. Replaying a token only repeats its own, idempotent opt-out.
 */
export interface UnsubscribeClaims {
  /** The recipient address, as the message had it. */
  recipient: string;
  /** Category flags of the message (0: a campaign without categories). */
  categories: number;
  campaignId: string | null;
  messageId: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

export type VerifyResult =
  { ok: true; claims: UnsubscribeClaims } | { ok: false; why: 'malformed' | 'forged' | 'expired' };

const VERSION = 'u1';

export class UnsubscribeTokens {
  private readonly key: Buffer;
  private readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(secret: string, ttlMs: number, clock: Clock) {
    this.key = Buffer.from(secret, 'utf8');
    this.ttlMs = ttlMs;
    this.clock = clock;
  }

  /** A token for this message's recipient, categories and campaign. */
  forMessage(m: Pick<Message, 'id' | 'recipient' | 'categories' | 'campaignId'>): string {
    // Whole seconds: shorter tokens; a token's life is days.
    const exp = Math.floor((this.clock.now() + this.ttlMs) / 1000);
    const payload = Buffer.from(JSON.stringify([m.recipient, m.categories, m.campaignId, m.id, exp])).toString(
      'base64url',
    );
    return `${VERSION}.${payload}.${this.mac(payload)}`;
  }

  verify(token: string): VerifyResult {
    const [version, payload, mac] = token.split('.');
    if (version !== VERSION || !payload || !mac || token.split('.').length !== 3)
      return { ok: false, why: 'malformed' };
    const want = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (want.length !== given.length || !timingSafeEqual(want, given)) return { ok: false, why: 'forged' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, why: 'malformed' };
    }
    if (!Array.isArray(parsed) || parsed.length !== 5) return { ok: false, why: 'malformed' };
    const [recipient, categories, campaignId, messageId, exp] = parsed as [
      string,
      number,
      string | null,
      string,
      number,
    ];
    if (exp * 1000 < this.clock.now()) return { ok: false, why: 'expired' };
    return { ok: true, claims: { recipient, categories, campaignId, messageId, expiresAt: exp * 1000 } };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`${VERSION}.${payload}`).digest('base64url');
  }
}

/** A fresh random secret (when HERALD_UNSUBSCRIBE_SECRET is not set, one is kept in the database). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
