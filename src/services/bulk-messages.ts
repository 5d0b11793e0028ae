import type { Actor } from '../store/audit.repo.ts';
import type { Clock } from '../domain/clock.ts';
import { RETRYABLE_STATES, sourcesOf, type MessageState } from '../domain/states.ts';
import { uuidv7 } from '../domain/ids.ts';
import type { BulkAction } from '../store/message-bulk.repo.ts';
import { idFloor } from '../store/messages.repo.ts';
import type { MessageFilter, Store } from '../store/store.ts';
import type { MessageService } from './messages.ts';

/** Messages changed per transaction: small enough that no page holds locks for long. */
export const BULK_PAGE_SIZE = 500;

export type BulkKind = 'retry' | 'cancel';

/** The answer of POST /v1/messages/retry|cancel. */
export interface BulkOutcome {
  dryRun: boolean;
  /** Messages matching the filter when the operation began. */
  matched: number;
  /** Of those, the ones in a state the operation applies to (what a dry run would change). */
  eligible: number;
  /** Changed by this call (0 for a dry run). */
  changed: number;
  /** matched − changed: in another state, or changed by someone else meanwhile (a dry run: matched − eligible). */
  skipped: number;
  /** The audit entry's id, also on every changed message's event (`bulk <operation>`); null for a dry run. */
  operation: string | null;
}

/** The states each operation applies to: the single-message routes' rules (cancel: only while queued). */
export function bulkStates(kind: BulkKind): readonly MessageState[] {
  return kind === 'cancel' ? sourcesOf('cancelled') : RETRYABLE_STATES;
}

/**
 * Retry and cancel by the list filter (issue 13): counted, then applied in keyset pages of
 * BULK_PAGE_SIZE, each its own transaction, yielding to the event loop between pages. Only
 * messages created before the call began are considered. The audit entry commits with the first
 * page (or alone, when nothing is eligible), so no change is ever made without one.
 */
export class BulkMessageService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly messages: MessageService;
  private readonly onRequeued: () => void;

  constructor(deps: { store: Store; clock: Clock; messages: MessageService; onRequeued: () => void }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.messages = deps.messages;
    this.onRequeued = deps.onRequeued;
  }

  async run(
    kind: BulkKind,
    filter: MessageFilter,
    opts: { dryRun: boolean; maxAttempts?: number | undefined; actor: Actor; pageSize?: number },
  ): Promise<BulkOutcome> {
    const now = this.clock.now();
    const below = idFloor(now + 1);
    const states = bulkStates(kind);
    const { matched, eligible } = await this.store.bulk.count(filter, states, below);
    if (opts.dryRun) {
      return { dryRun: true, matched, eligible, changed: 0, skipped: matched - eligible, operation: null };
    }
    const operation = uuidv7(now);
    const action: BulkAction =
      kind === 'cancel'
        ? { kind, at: now, reason: 'cancelled by request (bulk)' }
        : {
            kind,
            at: now,
            maxAttempts: (ch, p) => opts.maxAttempts ?? this.messages.defaultMaxAttempts(ch, p ?? undefined),
          };
    const page = { states, below, limit: opts.pageSize ?? BULK_PAGE_SIZE, detail: `bulk ${operation}` };
    const first = await this.store.transaction(async (tx) => {
      const r = await tx.bulk.page(filter, action, { ...page, after: null });
      await tx.audit.record(
        {
          actor: opts.actor,
          action: `message.bulk_${kind}`,
          objectType: 'message',
          objectId: operation,
          detail: {
            filter: filterDetail(filter),
            matched,
            eligible,
            ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
          },
        },
        now,
      );
      return r;
    });
    let changed = first.changed;
    let next = first.next;
    // Bounded: every page moves the keyset forward, and no id at or above `below` is ever taken.
    while (next !== null) {
      await new Promise((resolve) => setImmediate(resolve));
      const r = await this.store.bulk.page(filter, action, { ...page, after: next });
      changed += r.changed;
      next = r.next;
    }
    if (kind === 'retry' && changed > 0) this.onRequeued();
    return { dryRun: false, matched, eligible, changed, skipped: Math.max(0, matched - changed), operation };
  }
}

/** The filter as the audit log keeps it (times as ISO text). */
function filterDetail(f: MessageFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    out[k] = (k === 'since' || k === 'until') && typeof v === 'number' ? new Date(v).toISOString() : v;
  }
  return out;
}
