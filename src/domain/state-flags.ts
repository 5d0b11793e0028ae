import { Engagement } from './message.ts';
import type { MessageState } from './states.ts';

/**
 * Postmaster's state flags (seed 001): what happened to an e-mail, bits OR'ed together.
 * Delivered 2, Spam 4, Bounced 8, Dropped 16, Opened 32.
 */
export const StateFlags = { delivered: 2, spam: 4, bounced: 8, dropped: 16, opened: 32 } as const;

/**
 * Derives the flags from Herald's state and engagement bits. "Dropped" is SendGrid's word for a
 * message the provider never tried to deliver; Herald's equivalents are `failed`, `suppressed`,
 * `expired` and `cancelled`. A click proves an open, so it sets Opened too. Engagement implies
 * nothing about the state: a spam report on a `sent` message sets Spam only.
 */
export function postmasterStateFlags(state: MessageState, engagement: number): number {
  let flags = 0;
  switch (state) {
    case 'delivered':
      flags |= StateFlags.delivered;
      break;
    case 'bounced':
      flags |= StateFlags.bounced;
      break;
    case 'failed':
    case 'suppressed':
    case 'expired':
    case 'cancelled':
      flags |= StateFlags.dropped;
      break;
    case 'queued':
    case 'sending':
    case 'sent':
      break;
  }
  if (engagement & Engagement.spam) flags |= StateFlags.spam;
  if (engagement & (Engagement.opened | Engagement.clicked)) flags |= StateFlags.opened;
  return flags;
}
