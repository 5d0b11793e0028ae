/**
 * The message state machine of ARCHITECTURE.md.
 *
 * queued ──claim──▶ sending ──provider ok──▶ sent ──receipt──▶ delivered
 *   ▲  (due_at, retry)  │                     │
 *   └──transient error──┘                     └──receipt──▶ failed | bounced
 * sending ──permanent error / attempts exhausted──▶ failed
 * queued ──opted out──▶ suppressed   queued ──past not_after──▶ expired   queued ──▶ cancelled
 *
 * Final states are never overwritten. `retry` (an operator's action) re-queues a `failed` message:
 * it is the one way out of a final state, and it is explicit.
 */
export const MESSAGE_STATES = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'failed',
  'bounced',
  'suppressed',
  'expired',
  'cancelled',
] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

export const FINAL_STATES: ReadonlySet<MessageState> = new Set([
  'delivered',
  'failed',
  'bounced',
  'suppressed',
  'expired',
  'cancelled',
]);

export function isFinal(state: MessageState): boolean {
  return FINAL_STATES.has(state);
}

const EDGES: Record<MessageState, readonly MessageState[]> = {
  queued: ['sending', 'suppressed', 'expired', 'cancelled'],
  // sending → delivered: a provider whose acceptance is the delivery (webhooks: a 2xx; the outbox).
  // sending → queued: a transient failure, a released lease, or a breaker that opened.
  // Not → cancelled: once a provider may have the message, cancelling it would be a lie (issue 14).
  sending: ['queued', 'sent', 'delivered', 'failed', 'suppressed', 'expired'],
  sent: ['delivered', 'failed', 'bounced'],
  delivered: [],
  failed: [],
  bounced: [],
  suppressed: [],
  expired: [],
  cancelled: [],
};

/** Whether the state machine allows `from → to` (the operator's `retry` is separate: see canRetry). */
export function canTransition(from: MessageState, to: MessageState): boolean {
  return EDGES[from].includes(to);
}

/** States from which `to` can be reached in one step: used to guard UPDATEs in SQL. */
export function sourcesOf(to: MessageState): MessageState[] {
  return MESSAGE_STATES.filter((from) => canTransition(from, to));
}

/** Cancel is allowed only before a provider has the message: while it is `queued`. */
export function canCancel(state: MessageState): boolean {
  return canTransition(state, 'cancelled');
}

/** Retry re-queues a failed (or expired, bounced) message with a fresh attempt budget. */
export const RETRYABLE_STATES: readonly MessageState[] = ['failed', 'expired', 'bounced'];
export function canRetry(state: MessageState): boolean {
  return RETRYABLE_STATES.includes(state);
}
