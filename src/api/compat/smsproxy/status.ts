import type { MessageState } from '../../../domain/states.ts';

/** Seed 002's statuses (NOT_FOUND: never accepted, or not an id at all). */
export type SmsProxyStatus = 'ACCEPTED' | 'CONFIRMED' | 'FAILED' | 'DELIVERED' | 'NOT_FOUND';

/**
 * Herald state → seed 002 status. ACCEPTED waits for the next batch; CONFIRMED is the provider's
 * acceptance (`sent`); every end other than delivery is FAILED. FAILED and DELIVERED are final in
 * both vocabularies, so Herald's "final states are never overwritten" keeps the seed's rule.
 */
export function smsProxyStatus(state: MessageState | undefined): SmsProxyStatus {
  switch (state) {
    case undefined:
      return 'NOT_FOUND';
    case 'queued':
    case 'sending':
      return 'ACCEPTED';
    case 'sent':
      return 'CONFIRMED';
    case 'delivered':
      return 'DELIVERED';
    case 'failed':
    case 'bounced':
    case 'expired':
    case 'cancelled':
    case 'suppressed':
      return 'FAILED';
  }
}
