import type { MessageState } from './states.ts';

export const CHANNELS = ['email', 'sms', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT';

/** What a webhook message carries besides the common fields. */
export interface WebhookPayload {
  method: HttpMethod;
  /** The target URL; for postbacks a template with `{name}` placeholders. */
  url: string;
  headers?: Record<string, string>;
  /** Any JSON; sent as the request body for POST and PUT. */
  body?: unknown;
  /** Standard Webhooks signing secret (`whsec_…` base64, or raw text). */
  secret?: string;
  /** Seed 004 postbacks: the data object whose values fill the URL's `{name}` placeholders. */
  postback?: Record<string, unknown>;
}

/** What an e-mail carries besides address, subject and bodies. */
export interface EmailExtras {
  fromName?: string;
  toName?: string;
  replyTo?: string;
  /** Extra headers, already checked against the allow-list (domain/email-headers.ts). */
  headers?: Record<string, string>;
}

/** Engagement flags (bitmask), recorded after delivery without changing the state. */
export const Engagement = { opened: 1, clicked: 2, spam: 4, unsubscribed: 8 } as const;

/** A message as the pipeline accepts it, before it has an id. */
export interface NewMessage {
  channel: Channel;
  /** E-mail address, phone number, or the webhook's URL. */
  recipient: string;
  sender?: string | undefined;
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  payload?: WebhookPayload | undefined;
  /** E-mail: display names, Reply-To, extra headers (stored in the payload column). */
  email?: EmailExtras | undefined;
  /** SMS: the parts the text takes (providers/sms/segments.ts). */
  segments?: number | undefined;
  priority: number;
  categories: number;
  uniqueId?: string | undefined;
  idempotencyKey?: string | undefined;
  /** Hash of the request that carried the idempotency key, to tell a repeat from a conflict. */
  requestHash?: string | undefined;
  provider?: string | undefined;
  /** The delivery lane: a provider or route name, or `webhook:<origin>`. */
  lane: string;
  metadata?: Record<string, unknown> | undefined;
  dueAt: number;
  notAfter?: number | undefined;
  maxAttempts: number;
  campaignId?: string | undefined;
  contactId?: string | undefined;
  /** A one-off status callback (issue 13): signed with the configured callback secret. */
  callback?: { url: string; events?: readonly string[] | undefined } | undefined;
  /** Initial state; `queued` unless a rule settles the message at once (e.g. `suppressed`). */
  state?: MessageState | undefined;
  reason?: string | undefined;
}

export interface Message {
  id: string;
  channel: Channel;
  provider: string | null;
  lane: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  payload: WebhookPayload | null;
  email: EmailExtras | null;
  segments: number | null;
  priority: number;
  categories: number;
  uniqueId: string | null;
  idempotencyKey: string | null;
  campaignId: string | null;
  contactId: string | null;
  state: MessageState;
  reason: string | null;
  attempts: number;
  maxAttempts: number;
  dueAt: number;
  notAfter: number | null;
  providerMessageId: string | null;
  engagement: number;
  metadata: Record<string, unknown> | null;
  createdAt: number;
  sentAt: number | null;
  deliveredAt: number | null;
  updatedAt: number;
}

export type AttemptOutcome = 'ok' | 'transient' | 'permanent';

export interface Attempt {
  messageId: string;
  number: number;
  provider: string | null;
  startedAt: number;
  durationMs: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  response: string | null;
  error: string | null;
}

export interface MessageEvent {
  messageId: string;
  at: number;
  type: string;
  fromState: MessageState | null;
  toState: MessageState | null;
  source: string;
  detail: string | null;
}

/** Caps what we keep of a provider's answer or a receipt's raw payload. */
export const EXCERPT_LIMIT = 2048;
const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

export function excerpt(s: string | null | undefined, limit = EXCERPT_LIMIT): string | null {
  if (s == null) return null;
  if (s.length <= limit) return s;
  // Never cut a surrogate pair in two: a lone half is not Unicode, and PostgreSQL's JSON refuses it.
  const end = isHighSurrogate(s.charCodeAt(limit - 1)) ? limit - 1 : limit;
  return s.slice(0, end) + '…';
}
