import type { Channel, Message, NewMessage } from '../domain/message.ts';
import { bitsOf, intersection } from '../domain/categories.ts';
import { recipientKey } from '../domain/recipients.ts';
import type { Store } from '../store/store.ts';
import type { Suppression } from '../store/suppressions.repo.ts';

/** What screening needs to know of a message. */
export interface ScreenTarget {
  channel: Channel;
  recipient: string;
  categories: number;
}

/**
 * Why a message must not be sent, or undefined. The suppression list wins over preferences: it
 * says "never", whatever the category. Pure, so the rule is unit-tested apart from the store.
 */
export function screenReason(
  t: ScreenTarget,
  suppression: Suppression | undefined,
  optOut: number | undefined,
): string | undefined {
  if (t.channel === 'webhook') return undefined;
  if (suppression) {
    return `recipient is on the suppression list (${suppression.source}${suppression.reason ? `: ${suppression.reason}` : ''})`;
  }
  if (optOut !== undefined && t.categories !== 0) {
    const shared = intersection(t.categories, optOut);
    if (shared !== 0)
      return `recipient opted out of categor${bitsOf(shared).length > 1 ? 'ies' : 'y'} ${bitsOf(shared).join(', ')}`;
  }
  return undefined;
}

/**
 * Preferences and the suppression list, checked twice: at ingest (a message that can never be sent
 * is stored as `suppressed` at once, visible to its sender) and again by the worker just before
 * the provider call, since either list may change while a message waits. Each check is one
 * round trip per ingest group or worker batch, never per message: the suppression list and (only
 * for recipients of messages with categories) preferences, in one UNION ALL query.
 */
export class RecipientScreen {
  private readonly store: Store;

  constructor(deps: { store: Store }) {
    this.store = deps.store;
  }

  /** One reason (or undefined: may be sent) per target, in order. */
  async reasons(targets: readonly ScreenTarget[]): Promise<(string | undefined)[]> {
    const keys = new Set<string>();
    const prefKeys = new Set<string>();
    for (const t of targets) {
      if (t.channel === 'webhook') continue;
      const k = recipientKey(t.recipient);
      keys.add(k);
      if (t.categories !== 0) prefKeys.add(k);
    }
    if (keys.size === 0) return targets.map(() => undefined);
    const { suppressions: suppressed, optOuts } = await this.store.screening.lookup([...keys], prefKeys);
    return targets.map((t) => {
      const k = recipientKey(t.recipient);
      return screenReason(t, suppressed.get(k), optOuts.get(k));
    });
  }

  /** Ingest hook: marks the new messages that must not be sent as `suppressed`, with the reason. */
  async screenNew(messages: NewMessage[]): Promise<void> {
    const open = messages.filter((m) => (m.state ?? 'queued') === 'queued' && m.channel !== 'webhook');
    if (open.length === 0) return;
    const reasons = await this.reasons(open);
    open.forEach((m, i) => {
      const why = reasons[i];
      if (why) {
        m.state = 'suppressed';
        m.reason = why;
      }
    });
  }

  /** Worker hook (WorkerDeps.screen): the ids that must not be sent, with the reason. */
  async screen(messages: readonly Message[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const targets = messages.filter((m) => m.channel !== 'webhook');
    if (targets.length === 0) return out;
    const reasons = await this.reasons(targets);
    targets.forEach((m, i) => {
      const why = reasons[i];
      if (why) out.set(m.id, why);
    });
    return out;
  }
}
