/**
 * The status events Herald sends to endpoints and callbacks (docs/events.md). One list for the
 * server (schemas, engine) and the admin UI's endpoint form, which imports this file into its
 * Vite build: so it imports nothing.
 */
export const EVENT_TYPES = [
  'message.accepted',
  'message.sent',
  'message.delivered',
  'message.failed',
  'message.bounced',
  'message.opened',
  'message.suppressed',
  'message.cancelled',
  'message.expired',
  'campaign.started',
  'campaign.finished',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
