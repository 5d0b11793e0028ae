import type { Selectable } from 'kysely';
import type { Attempt, Channel, Message, MessageEvent, NewMessage, AttemptOutcome } from '../domain/message.ts';
import type { MessageState } from '../domain/states.ts';
import type { AttemptsTable, EventsTable, MessagesTable } from './schema.ts';

/** Row ⇄ domain mapping for messages, attempts and events. */

function parseJson<T>(s: string | null): T | null {
  return s == null ? null : (JSON.parse(s) as T);
}

export function messageFromRow(r: Selectable<MessagesTable>): Message {
  return {
    id: r.id,
    channel: r.channel as Channel,
    provider: r.provider,
    lane: r.lane,
    recipient: r.recipient,
    sender: r.sender,
    subject: r.subject,
    text: r.body_text,
    html: r.body_html,
    // The payload column holds the webhook's request, or an e-mail's extras.
    payload: r.channel === 'webhook' ? parseJson(r.payload) : null,
    email: r.channel === 'email' ? parseJson(r.payload) : null,
    segments: r.segments,
    priority: r.priority,
    categories: Number(r.categories),
    uniqueId: r.unique_id,
    idempotencyKey: r.idempotency_key,
    campaignId: r.campaign_id,
    contactId: r.contact_id,
    state: r.state as MessageState,
    reason: r.reason,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    dueAt: Number(r.due_at),
    notAfter: r.not_after == null ? null : Number(r.not_after),
    providerMessageId: r.provider_message_id,
    engagement: r.engagement,
    metadata: parseJson(r.metadata),
    createdAt: Number(r.created_at),
    sentAt: r.sent_at == null ? null : Number(r.sent_at),
    deliveredAt: r.delivered_at == null ? null : Number(r.delivered_at),
    updatedAt: Number(r.updated_at),
  };
}

export function rowFromNewMessage(m: NewMessage, id: string, now: number): MessagesTable {
  return {
    id,
    channel: m.channel,
    provider: m.provider ?? null,
    lane: m.lane,
    recipient: m.recipient,
    sender: m.sender ?? null,
    subject: m.subject ?? null,
    body_text: m.text ?? null,
    body_html: m.html ?? null,
    payload: m.payload ? JSON.stringify(m.payload) : m.email ? JSON.stringify(m.email) : null,
    segments: m.segments ?? null,
    priority: m.priority,
    categories: m.categories,
    unique_id: m.uniqueId ?? null,
    idempotency_key: m.idempotencyKey ?? null,
    request_hash: m.requestHash ?? null,
    campaign_id: m.campaignId ?? null,
    contact_id: m.contactId ?? null,
    state: m.state ?? 'queued',
    reason: m.reason ?? null,
    attempts: 0,
    max_attempts: m.maxAttempts,
    due_at: m.dueAt,
    not_after: m.notAfter ?? null,
    lease_owner: null,
    lease_until: null,
    provider_message_id: null,
    engagement: 0,
    metadata: m.metadata ? JSON.stringify(m.metadata) : null,
    created_at: now,
    sent_at: null,
    delivered_at: null,
    updated_at: now,
  };
}

export function attemptFromRow(r: Selectable<AttemptsTable>): Attempt {
  return {
    messageId: r.message_id,
    number: r.number,
    provider: r.provider,
    startedAt: Number(r.started_at),
    durationMs: r.duration_ms,
    outcome: r.outcome as AttemptOutcome,
    statusCode: r.status_code,
    response: r.response,
    error: r.error,
  };
}

export function eventFromRow(r: Selectable<EventsTable>): MessageEvent {
  return {
    messageId: r.message_id,
    at: Number(r.at),
    type: r.type,
    fromState: r.from_state as MessageState | null,
    toState: r.to_state as MessageState | null,
    source: r.source,
    detail: r.detail,
  };
}

/**
 * Text from outside (a provider's response, an error message) as every store can hold it, in a
 * column or inside a JSON parameter: PostgreSQL refuses U+0000 in text (SQLSTATE 22021) and a lone
 * surrogate in JSON (`"\ud83d…"`), either of which would fail a whole group of completions. Both
 * become U+FFFD, as a decoder does with bytes it cannot map.
 */
export function storableText<T extends string | null | undefined>(s: T): T {
  if (typeof s !== 'string') return s;
  const text = s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
  return text.toWellFormed() as T;
}

/** Splits rows so that one INSERT stays under the dialect's bound-parameter limit. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
