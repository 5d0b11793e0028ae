import type { MessageState } from '../../../domain/states.ts';

/** Seed 000's request statuses. */
export type MailingStatus = 'processing' | 'delivered' | 'rejected' | 'failed';

/**
 * Herald state → seed 000 status. `processing` until final; `rejected` when the delivery service
 * (or Herald's own preferences / suppression list) refused it; `failed` when it could not be done.
 */
export function mailingStatus(state: MessageState): MailingStatus {
  switch (state) {
    case 'queued':
    case 'sending':
    case 'sent':
      return 'processing';
    case 'delivered':
      return 'delivered';
    case 'bounced':
    case 'suppressed':
      return 'rejected';
    case 'failed':
    case 'expired':
    case 'cancelled':
      return 'failed';
  }
}

/**
 * The webhook's STATUS → the state it moves the message to. REJECTED is the delivery service
 * refusing the address: Herald's `bounced` (which also feeds the suppression list).
 */
export const WEBHOOK_STATUS: Record<string, 'delivered' | 'bounced' | 'failed'> = {
  DELIVERED: 'delivered',
  REJECTED: 'bounced',
  FAILED: 'failed',
};

export function webhookTarget(status: unknown): 'delivered' | 'bounced' | 'failed' | undefined {
  return typeof status === 'string' ? WEBHOOK_STATUS[status.trim().toUpperCase()] : undefined;
}
