/*
 * Fan-out — inputs: a running campaign; output: one page of messages per call, one per matching
 * contact after the checkpoint, in contact-id order.
 * Invariants: a page's messages and the checkpoint that covers them commit in one transaction
 * (a crash loses the page or keeps all of it, so resuming never writes a contact twice); the
 * checkpoint advance is guarded by its previous value, so two fan-outs of the same campaign
 * cannot both write one page; memory is one page, whatever the number of contacts.
 */
import type { Clock } from '../domain/clock.ts';
import type { NewMessage } from '../domain/message.ts';
import { routedLane } from '../domain/lanes.ts';
import type { Store } from '../store/store.ts';
import type { Campaign, Contact } from './model.ts';
import { renderTemplate } from './template.ts';
import { countSegments } from '../providers/sms/segments.ts';
import { contactData, renderVersion } from '../templates/service.ts';
import type { TemplateVersion } from '../templates/model.ts';
import { openingsAt } from './window.ts';

export interface FanoutDeps {
  store: Store;
  clock: Clock;
  /** Attempt budget of each message (the worker's retry policy). */
  maxAttempts: number;
  /** Contacts per page (and per transaction). */
  pageSize?: number | undefined;
}

export type FanoutStep =
  | { kind: 'written'; messages: number; expired: number; done: boolean; segments: number }
  /** The campaign is not running (paused, cancelled, gone) or its fan-out is complete. */
  | { kind: 'idle' }
  /** Another fan-out advanced the checkpoint first: nothing written. */
  | { kind: 'raced' };

export const DEFAULT_PAGE = 2000;
export const EXPIRED_BEFORE_WINDOW = 'the local-time window does not open before the campaign ends';

class CheckpointMoved extends Error {}

/** A campaign's content for one contact, or why it cannot be rendered. */
export type ContactContent = { subject?: string; text?: string; html?: string } | { problem: string };

/**
 * How a campaign renders each contact: its stored template version (Liquid, the contact's
 * attributes as data; a variable a contact lacks fails that contact's message, not the page),
 * else its own subject/text/html with `{placeholders}`.
 */
export function campaignRenderer(
  c: Campaign,
  version: TemplateVersion | undefined,
): (contact: Contact) => ContactContent {
  if (c.template) {
    return (contact) => {
      if (!version) return { problem: `template ${c.template!.id} version ${c.template!.version} no longer exists` };
      const r = renderVersion(version, c.template!.locale ?? contactLocale(contact), contactData(contact));
      return 'problems' in r ? { problem: `the contact's template data ${r.problems.join('; ')}` } : r;
    };
  }
  return (contact) => ({
    subject: c.subject != null ? renderTemplate(c.subject, contact) : undefined,
    text: c.text ? renderTemplate(c.text, contact) : undefined,
    html: c.html != null ? renderTemplate(c.html, contact) : undefined,
  });
}

/** A contact's locale attribute (`locale` or `language`), which picks the template variant. */
function contactLocale(contact: Contact): string | undefined {
  const v = contact.attributes.locale ?? contact.attributes.language;
  return typeof v === 'string' ? v : undefined;
}

/** Builds the message of one contact: due at the next opening of its window, never after the end. */
export function campaignMessage(
  c: Campaign,
  contact: Contact,
  due: number,
  now: number,
  maxAttempts: number,
  content: ContactContent = campaignRenderer(c, undefined)(contact),
): NewMessage {
  const late = due >= c.endAt;
  const failed = 'problem' in content ? content.problem : undefined;
  const body = 'problem' in content ? {} : content;
  return {
    channel: c.channel,
    recipient: (c.channel === 'sms' ? contact.phone : contact.email) ?? '',
    sender: c.sender ?? undefined,
    subject: body.subject,
    text: body.text,
    html: body.html,
    segments: c.channel === 'sms' ? countSegments(body.text ?? '').segments : undefined,
    priority: c.priority,
    categories: c.categories,
    provider: c.provider ?? undefined,
    lane: routedLane(c.channel, c.provider),
    dueAt: late ? now : due,
    notAfter: c.endAt,
    maxAttempts,
    campaignId: c.id,
    contactId: contact.id,
    state: failed ? 'failed' : late ? 'expired' : undefined,
    reason: failed ?? (late ? EXPIRED_BEFORE_WINDOW : undefined),
  };
}

/** Writes the next page of a campaign's fan-out. Reads the campaign afresh, so edits apply from the next page. */
export async function fanoutPage(deps: FanoutDeps, campaignId: string): Promise<FanoutStep> {
  const c = await deps.store.campaigns.get(campaignId);
  if (!c || c.state !== 'running' || c.fanoutDone) return { kind: 'idle' };
  const now = deps.clock.now();
  const page = await deps.store.contacts.list(
    { operatorCodes: c.filter.operatorCodes, tags: c.filter.tags, channel: c.channel },
    deps.pageSize ?? DEFAULT_PAGE,
    c.checkpoint ?? undefined,
  );
  const opening = openingsAt(now, c.window);
  const version = c.template ? await deps.store.templates.version(c.template.id, c.template.version) : undefined;
  const render = campaignRenderer(c, version);
  const messages = page.items.map((contact) =>
    campaignMessage(c, contact, opening(contact.timezone), now, deps.maxAttempts, render(contact)),
  );
  const last = page.items.length > 0 ? page.items[page.items.length - 1]!.id : c.checkpoint;
  const done = page.nextCursor === null;
  try {
    await deps.store.transaction(async (tx) => {
      // The guarded advance first: on PostgreSQL it also locks the campaign row for this transaction.
      if (!(await tx.campaigns.advance(c.id, c.checkpoint, last, messages.length, done, now)))
        throw new CheckpointMoved();
      if (messages.length > 0) await tx.messages.insertMany(messages, now);
    });
  } catch (err) {
    if (err instanceof CheckpointMoved) return { kind: 'raced' };
    throw err;
  }
  const expired = messages.filter((m) => m.state === 'expired').length;
  const segments = messages.reduce((n, m) => n + (m.segments ?? 0), 0);
  return { kind: 'written', messages: messages.length, expired, done, segments };
}
