import { randomBytes } from 'node:crypto';
import type { Channel } from '../domain/message.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';

/** The list itself lives in event-types.ts, which the admin UI imports too. */
export { EVENT_TYPES, type EventType };

/** The event an endpoint's test button sends; not subscribable. */
export const PING_TYPE = 'endpoint.ping';

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/** An endpoint's optional narrowing: every field given must match. */
export interface EndpointFilter {
  channel?: Channel | undefined;
  provider?: string | undefined;
  campaignId?: string | undefined;
  /** Each key must equal the message's metadata value (strings compared as given). */
  metadata?: Record<string, string> | undefined;
}

export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  events: EventType[];
  filter: EndpointFilter | null;
  enabled: boolean;
  /** The previous secret still signs until this time (rotation), else null. */
  previousSecretUntil: number | null;
  /** First failed attempt of the current run of failures (null: last attempt succeeded). */
  failingSince: number | null;
  disabledReason: string | null;
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What a message event says (payload `data`). */
export interface MessageEventData {
  id: string;
  channel: string;
  provider: string | null;
  recipient: string;
  state: string;
  reason: string | null;
  metadata: Record<string, unknown> | null;
  attempts: number;
  campaignId?: string | null;
}

/** The JSON body every event delivery carries (Standard Webhooks style: type, timestamp, data). */
export interface EventPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/**
 * Which event type a row of `events` (a state change or a receipt) produces, if any. Retries,
 * releases and worker bookkeeping produce none; a receipt that records an open without changing the
 * state produces `message.opened`.
 */
export function eventTypeOf(row: { type: string; to_state: string | null }): EventType | undefined {
  if (row.type === 'accepted') return 'message.accepted';
  switch (row.to_state) {
    case 'sent':
    case 'delivered':
    case 'failed':
    case 'bounced':
    case 'suppressed':
    case 'cancelled':
    case 'expired':
      return `message.${row.to_state}`;
    case null:
      return /open/i.test(row.type) ? 'message.opened' : undefined;
    default:
      return undefined;
  }
}

/** Whether a message event goes to an endpoint: subscribed type and every filter field matching. */
export function endpointWants(
  ep: { events: readonly string[]; filter: EndpointFilter | null },
  type: string,
  m: { channel: string; provider: string | null; campaignId: string | null; metadata: Record<string, unknown> | null },
): boolean {
  if (!ep.events.includes(type)) return false;
  const f = ep.filter;
  if (!f) return true;
  if (f.channel !== undefined && f.channel !== m.channel) return false;
  if (f.provider !== undefined && f.provider !== m.provider) return false;
  if (f.campaignId !== undefined && f.campaignId !== m.campaignId) return false;
  if (f.metadata) {
    for (const [k, v] of Object.entries(f.metadata)) {
      const got = m.metadata?.[k];
      const text = typeof got === 'string' ? got : JSON.stringify(got);
      if (got === undefined || text !== v) return false;
    }
  }
  return true;
}

/** A new Standard Webhooks signing secret: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** How long the previous secret keeps signing after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** Lane of an endpoint's deliveries (one lane each: a dead endpoint holds up only itself). */
export const ENDPOINT_LANE_PREFIX = 'event:';
/** Lane of per-message callbacks, one per origin like webhook messages. */
export const CALLBACK_LANE_PREFIX = 'callback:';

export function callbackLane(url: string): string {
  try {
    return CALLBACK_LANE_PREFIX + new URL(url).origin;
  } catch {
    return CALLBACK_LANE_PREFIX + url;
  }
}
