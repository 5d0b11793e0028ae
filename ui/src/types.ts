import {
  FINAL_STATES as SERVER_FINAL_STATES,
  RETRYABLE_STATES as SERVER_RETRYABLE_STATES,
} from '../../src/domain/states.ts';

/** Shapes of the API answers the UI reads (see /docs for the full OpenAPI document). */

export interface Message {
  id: string;
  channel: 'email' | 'sms' | 'webhook';
  state: string;
  reason: string | null;
  provider: string | null;
  lane: string;
  to: string;
  from: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  email: { fromName?: string; toName?: string; replyTo?: string; headers?: Record<string, string> } | null;
  /** SMS: parts the text takes. */
  segments: number | null;
  webhook: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: unknown;
    postback?: unknown;
    signed: boolean;
  } | null;
  priority: number;
  categories: number;
  uniqueId: string | null;
  campaignId: string | null;
  contactId: string | null;
  attemptCount: number;
  maxAttempts: number;
  dueAt: string;
  notAfter: string | null;
  providerMessageId: string | null;
  engagement: { opened: boolean; clicked: boolean; spam: boolean; unsubscribed: boolean };
  metadata: Record<string, unknown> | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  updatedAt: string;
}

export interface Attempt {
  number: number;
  provider: string | null;
  startedAt: string;
  durationMs: number;
  outcome: string;
  statusCode: number | null;
  response: string | null;
  error: string | null;
}

export interface MessageEvent {
  at: string;
  type: string;
  from: string | null;
  to: string | null;
  source: string;
  detail: string | null;
}

export interface MessageDetail extends Message {
  attempts: Attempt[];
  events: MessageEvent[];
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Timeseries {
  bucket: string;
  bucketMs: number;
  since: string;
  until: string;
  by: string;
  timestamps: string[];
  series: {
    key: string;
    accepted: number[];
    sent: number[];
    delivered: number[];
    failed: number[];
    retried: number[];
    segments: number[];
  }[];
}

export interface Latency {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface Totals {
  accepted: number;
  sent: number;
  delivered: number;
  failed: number;
  retried: number;
  segments: number;
  latency: Latency;
}

export interface Overview {
  at: string;
  since: string;
  queue: Record<string, number>;
  totals: Totals;
  byChannel: (Totals & { channel: string })[];
  byProvider: (Totals & { provider: string; channel: string })[];
}

// The state machine and channels come from the server's own modules (no copies to drift apart);
// as sets of plain strings here, because the UI reads states from the API as strings.
export { MESSAGE_STATES } from '../../src/domain/states.ts';
export { CHANNELS } from '../../src/domain/message.ts';
export const FINAL_STATES: ReadonlySet<string> = SERVER_FINAL_STATES;
export const RETRYABLE_STATES: ReadonlySet<string> = new Set(SERVER_RETRYABLE_STATES);
