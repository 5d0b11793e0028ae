import type { Clock } from '../domain/clock.ts';
import { Engagement } from '../domain/message.ts';
import { recipientKey } from '../domain/recipients.ts';
import { suppressRecipient } from '../services/suppressions.ts';
import type { Store } from '../store/store.ts';
import type { UnsubscribeClaims } from './tokens.ts';

/** What an unsubscribe did. */
export interface UnsubscribeOutcome {
  /** The recipient's opt-out flags afterwards (categories), or null when the address was suppressed. */
  optOut: number | null;
  suppressed: boolean;
}

/**
 * Applies unsubscribe links (docs/templates.md#unsubscribe). A message in categories opts its
 * recipient out of exactly those categories (Herald's preference flags: other mail keeps coming);
 * a campaign message without categories has nothing narrower to refuse, so its recipient goes on
 * the suppression list (source `unsubscribe`). The message is marked `unsubscribed`.
 */
export class UnsubscribeService {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(deps: { store: Store; clock: Clock }) {
    this.store = deps.store;
    this.clock = deps.clock;
  }

  /** The categories of the token the recipient receives now (for the manage page). */
  async receiving(c: UnsubscribeClaims): Promise<number> {
    const pref = await this.store.preferences.get(recipientKey(c.recipient));
    const optOut = pref?.optOut ?? 0;
    return Number(BigInt(c.categories) & ~BigInt(optOut));
  }

  /** One-click: out of every category of the token (or suppressed, for a campaign without categories). */
  async unsubscribe(c: UnsubscribeClaims): Promise<UnsubscribeOutcome> {
    return this.keepOnly(c, 0);
  }

  /** Keeps receiving `keep` of the token's categories and refuses the rest; other categories are untouched. */
  async keepOnly(c: UnsubscribeClaims, keep: number): Promise<UnsubscribeOutcome> {
    const now = this.clock.now();
    const key = recipientKey(c.recipient);
    let outcome: UnsubscribeOutcome;
    if (c.categories === 0) {
      await suppressRecipient(
        this.store,
        { channel: 'email', recipient: c.recipient, id: c.messageId },
        `unsubscribed from campaign ${c.campaignId ?? '?'}`,
        'unsubscribe',
        now,
      );
      outcome = { optOut: null, suppressed: true };
    } else {
      const before = BigInt((await this.store.preferences.get(key))?.optOut ?? 0);
      const mine = BigInt(c.categories);
      const after = Number((before & ~mine) | (mine & ~BigInt(keep)));
      // 0 is not a valid opt-out set: 1 means "every category welcome" (postmaster's rule).
      const pref = await this.store.preferences.set(key, after === 0 ? 1 : after, now);
      outcome = { optOut: pref.optOut, suppressed: false };
    }
    await this.mark(c, now);
    return outcome;
  }

  /** Records the unsubscribe on the message (engagement flag and event), whatever its state. */
  private async mark(c: UnsubscribeClaims, at: number): Promise<void> {
    const m = await this.store.messages.get(c.messageId);
    if (!m || m.state === 'queued') return;
    await this.store.messages.changeState(m.id, {
      to: m.state,
      at,
      source: 'unsubscribe',
      type: 'unsubscribed',
      engagement: Engagement.unsubscribed,
    });
  }
}
