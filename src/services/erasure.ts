import type { Clock } from '../domain/clock.ts';
import { recipientHash, recipientKey } from '../domain/recipients.ts';
import type { Actor } from '../store/audit.repo.ts';
import type { ErasureResult, ErasureTarget } from '../store/erasure.repo.ts';
import { idFloor } from '../store/messages.repo.ts';
import type { Store } from '../store/store.ts';

/** Messages deleted per transaction. */
const PAGE = 500;

/**
 * The stored forms of a person's address, lower-cased: the key, and for a phone number the same
 * digits with and without a leading + (contacts keep `7XXXXXXXXXX`, messages what the client sent).
 */
export function erasureTarget(recipient: string): ErasureTarget {
  const key = recipientKey(recipient);
  const forms = new Set([key.toLowerCase(), recipient.trim().toLowerCase()]);
  if (/^\+?[0-9]+$/.test(key)) {
    const digits = key.replace(/^\+/, '');
    forms.add(digits);
    forms.add(`+${digits}`);
  }
  return { key, hash: recipientHash(key), forms: [...forms] };
}

/**
 * DELETE /v1/recipients/{recipient} (GDPR Art. 17): the person's messages with their attempts,
 * events and outbox copies (in pages), then contacts, preferences, the suppression entry (kept
 * as a hash) and the audit entries that named the address, with the erasure's own audit entry, in
 * one transaction. Messages that arrive for the address while this runs are not erased (they
 * came after the request): erase again. Answers what was removed.
 */
export class ErasureService {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(deps: { store: Store; clock: Clock }) {
    this.store = deps.store;
    this.clock = deps.clock;
  }

  async erase(recipient: string, actor: Actor): Promise<ErasureResult & { recipient: string }> {
    const now = this.clock.now();
    const target = erasureTarget(recipient);
    const messages = await this.store.erasure.eraseMessages(target, idFloor(now + 1), PAGE);
    return this.store.transaction(async (tx) => {
      const rest = await tx.erasure.finish(target, now);
      const result = { ...messages, ...rest };
      // The entry names the hash, never the address: the log outlives the erasure.
      await tx.audit.record(
        { actor, action: 'recipient.erase', objectType: 'recipient', objectId: target.hash, detail: { ...result } },
        now,
      );
      return { recipient: target.key, ...result };
    });
  }
}
