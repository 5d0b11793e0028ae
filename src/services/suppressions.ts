import type { Clock } from '../domain/clock.ts';
import { Engagement, type Message } from '../domain/message.ts';
import { recipientKey } from '../domain/recipients.ts';
import type { Receipt } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import type { KyselySuppressionRepo, Suppression, SuppressionSource } from '../store/suppressions.repo.ts';
import type { Page } from '../store/store.ts';

/**
 * The suppression list: recipients Herald never sends to. People add and remove entries through
 * /v1/suppressions; receipts add them automatically (suppressAfterReceipt) unless
 * HERALD_AUTO_SUPPRESS=false.
 */
export class SuppressionService {
  private readonly repo: KyselySuppressionRepo;
  private readonly clock: Clock;

  constructor(deps: { store: Store; clock: Clock }) {
    this.repo = deps.store.suppressions;
    this.clock = deps.clock;
  }

  list(limit: number, cursor?: string, source?: SuppressionSource): Promise<Page<Suppression>> {
    return this.repo.list(limit, cursor, source);
  }

  get(recipient: string): Promise<Suppression | undefined> {
    return this.repo.get(recipientKey(recipient));
  }

  add(recipient: string, reason: string | null, source: SuppressionSource = 'api') {
    return this.repo.add({ recipient: recipientKey(recipient), reason, source, createdAt: this.clock.now() });
  }

  remove(recipient: string): Promise<boolean> {
    return this.repo.remove(recipientKey(recipient));
  }
}

/** Adds a recipient to the suppression list (an existing entry stands). Webhook recipients never are. */
export async function suppressRecipient(
  store: Pick<Store, 'suppressions'>,
  m: Pick<Message, 'channel' | 'recipient' | 'id'>,
  why: string,
  source: SuppressionSource,
  at: number,
): Promise<Suppression | undefined> {
  if (m.channel === 'webhook') return undefined;
  const r = await store.suppressions.add({
    recipient: recipientKey(m.recipient),
    reason: `${why} (message ${m.id})`,
    source,
    createdAt: at,
  });
  return r.created ? r.entry : undefined;
}

/** Which receipts suppress their recipient: a bounce, or a spam report. Pure, for the unit test. */
export function autoSuppressKind(receipt: {
  to?: string | undefined;
  engagement?: number | undefined;
}): 'bounce' | 'spam' | undefined {
  if (receipt.to === 'bounced') return 'bounce';
  if (receipt.engagement !== undefined && (receipt.engagement & Engagement.spam) !== 0) return 'spam';
  return undefined;
}

/**
 * Called by applyReceipts for each message a receipt touched, inside its transaction (`tx` is the
 * transaction's store): a hard bounce or a spam report puts the recipient on the suppression list, so
 * nothing more is sent there. Answers the entry it added, if any. Webhook messages are never
 * suppressed (their recipient is a URL).
 */
export async function suppressAfterReceipt(
  tx: Pick<Store, 'suppressions'>,
  message: Message,
  receipt: Pick<Receipt, 'to' | 'engagement' | 'reason'>,
  at: number,
): Promise<Suppression | undefined> {
  if (message.channel === 'webhook') return undefined;
  const kind = autoSuppressKind(receipt);
  if (!kind) return undefined;
  const why = kind === 'bounce' ? `hard bounce${receipt.reason ? `: ${receipt.reason}` : ''}` : 'spam report';
  const r = await tx.suppressions.add({
    recipient: recipientKey(message.recipient),
    reason: `${why} (message ${message.id})`,
    source: kind,
    createdAt: at,
  });
  return r.created ? r.entry : undefined;
}
