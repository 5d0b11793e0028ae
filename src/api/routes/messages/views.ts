import type { Attempt, Message, MessageEvent } from '../../../domain/message.ts';
import { Engagement } from '../../../domain/message.ts';
import type { MessageDetail } from '../../../store/store.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms == null ? null : iso(ms));

/** A message as the native API shows it. The webhook secret is never shown. */
export function messageView(m: Message) {
  const p = m.payload;
  return {
    id: m.id,
    channel: m.channel,
    state: m.state,
    reason: m.reason,
    provider: m.provider,
    lane: m.lane,
    to: m.recipient,
    from: m.sender,
    subject: m.subject,
    text: m.text,
    html: m.html,
    email: m.email,
    segments: m.segments,
    webhook: p
      ? {
          method: p.method,
          url: p.url,
          headers: p.headers,
          body: p.body,
          postback: p.postback,
          signed: Boolean(p.secret),
        }
      : null,
    priority: m.priority,
    categories: m.categories,
    uniqueId: m.uniqueId,
    campaignId: m.campaignId,
    contactId: m.contactId,
    attemptCount: m.attempts,
    maxAttempts: m.maxAttempts,
    dueAt: iso(m.dueAt),
    notAfter: isoOrNull(m.notAfter),
    providerMessageId: m.providerMessageId,
    engagement: {
      opened: (m.engagement & Engagement.opened) !== 0,
      clicked: (m.engagement & Engagement.clicked) !== 0,
      spam: (m.engagement & Engagement.spam) !== 0,
      unsubscribed: (m.engagement & Engagement.unsubscribed) !== 0,
    },
    metadata: m.metadata,
    createdAt: iso(m.createdAt),
    sentAt: isoOrNull(m.sentAt),
    deliveredAt: isoOrNull(m.deliveredAt),
    updatedAt: iso(m.updatedAt),
  };
}

export function attemptView(a: Attempt) {
  return {
    number: a.number,
    provider: a.provider,
    startedAt: iso(a.startedAt),
    durationMs: a.durationMs,
    outcome: a.outcome,
    statusCode: a.statusCode,
    response: a.response,
    error: a.error,
  };
}

export function eventView(e: MessageEvent) {
  return { at: iso(e.at), type: e.type, from: e.fromState, to: e.toState, source: e.source, detail: e.detail };
}

/**
 * The timeline starts with `accepted`: ingestion writes no event row (one INSERT per message on the
 * hot path is enough), so the first entry is made here from createdAt — unless one was written
 * because a status-event endpoint or callback asked for `message.accepted` (src/store/message-writes.ts).
 */
export function acceptedEvent(d: MessageDetail) {
  // The state it was written in: the first recorded move starts from it; with none, it is still that.
  const initial = d.events[0]?.fromState ?? d.state;
  return {
    at: iso(d.createdAt),
    type: 'accepted',
    from: null,
    to: initial,
    source: d.campaignId ? 'campaign' : 'api',
    detail: initial === 'queued' ? null : d.reason,
  };
}

export function messageDetailView(d: MessageDetail) {
  return {
    ...messageView(d),
    attempts: d.attemptLog.map(attemptView),
    events: d.events[0]?.type === 'accepted' ? d.events.map(eventView) : [acceptedEvent(d), ...d.events.map(eventView)],
  };
}
