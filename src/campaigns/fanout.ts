/*
 * Fan-out — inputs: a running campaign; output: one page of messages per call, one per matching
 * contact after the checkpoint, in contact-id order.
 * Invariants: a page's messages and the checkpoint that covers them commit in one transaction
 * (a crash loses the page or keeps all of it, so resuming never writes a contact twice); the
 * checkpoint advance is guarded by its previous value, so two fan-outs of the same campaign
 * cannot both write one page; memory is two pages (the one written and the one read ahead),
 * whatever the number of contacts. The read-ahead is only a read: a page read for a checkpoint
 * or filter that is no longer the campaign's is dropped, so it never decides what is written.
 */
import type { Clock } from '../domain/clock.ts';
import type { NewMessage } from '../domain/message.ts';
import { routedLane } from '../domain/lanes.ts';
import type { Page, Store } from '../store/store.ts';
import type { Campaign, Contact, ContactFilter } from './model.ts';
import { compileTemplate } from './template.ts';
import { countSegments, type SegmentCount } from '../providers/sms/segments.ts';
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
  /** Longest SMS in parts (HERALD_SMS_MAX_SEGMENTS; default 10): a contact's longer text fails its message. */
  smsMaxSegments?: number | undefined;
}

/**
 * The next page of contacts, read while the current page is written: the thread that runs the
 * store reads it while this one builds messages. Only a read; valid for the checkpoint `after` and
 * the filter it was read with (fanoutPage checks both, else reads afresh).
 */
export interface ReadAhead {
  campaignId: string;
  after: string;
  filter: string;
  page: Promise<Page<Contact>>;
}

export type FanoutStep =
  | {
      kind: 'written';
      messages: number;
      /** Of `messages`, written already final: expired (window) or failed (content). */
      expired: number;
      failed: number;
      done: boolean;
      segments: number;
      /** The next page, being read: pass it to the next fanoutPage of this campaign. */
      ahead?: ReadAhead | undefined;
    }
  /** The campaign is not running (paused, cancelled, gone) or its fan-out is complete. */
  | { kind: 'idle' }
  /** Another fan-out advanced the checkpoint first: nothing written. */
  | { kind: 'raced' };

export const DEFAULT_PAGE = 2000;
export const DEFAULT_SMS_MAX_SEGMENTS = 10;
export const EXPIRED_BEFORE_WINDOW = 'the local-time window does not open before the campaign ends';

class CheckpointMoved extends Error {}

/** A campaign's content for one contact, or why it cannot be rendered. */
export type ContactContent = { subject?: string; text?: string; html?: string } | { problem: string };

/**
 * How a campaign renders each contact: its stored template version (Liquid, the contact's
 * attributes as data; a variable a contact lacks fails that contact's message, not the page),
 * else its own subject/text/html with `{placeholders}` (split once, joined per contact).
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
  const subject = c.subject != null ? compileTemplate(c.subject) : undefined;
  const text = c.text ? compileTemplate(c.text) : undefined;
  const html = c.html != null ? compileTemplate(c.html) : undefined;
  return (contact) => ({ subject: subject?.(contact), text: text?.(contact), html: html?.(contact) });
}

/** A contact's locale attribute (`locale` or `language`), which picks the template variant. */
function contactLocale(contact: Contact): string | undefined {
  const v = contact.attributes.locale ?? contact.attributes.language;
  return typeof v === 'string' ? v : undefined;
}

/** What bounds each message of a campaign. */
export interface MessageLimits {
  maxAttempts: number;
  smsMaxSegments: number;
}

/** Why an SMS text cannot go out (longer than the limit), or undefined. */
function tooLong(count: SegmentCount, limit: number): string | undefined {
  if (count.segments <= limit) return undefined;
  return (
    `the text for this contact is ${count.segments} SMS segments (${count.encoding}, ${count.units} units); ` +
    `the limit is ${limit} (HERALD_SMS_MAX_SEGMENTS)`
  );
}

/**
 * Builds the message of one contact: due at the next opening of its window, never after the end.
 * A contact whose content cannot be rendered, or whose SMS is longer than the limit, gets a message
 * written already `failed` with the reason, so that the campaign's statistics show it.
 */
export function campaignMessage(
  c: Campaign,
  contact: Contact,
  due: number,
  now: number,
  limits: MessageLimits,
  content: ContactContent = campaignRenderer(c, undefined)(contact),
): NewMessage {
  const late = due >= c.endAt;
  const body = 'problem' in content ? {} : content;
  const parts = c.channel === 'sms' ? countSegments(body.text ?? '') : undefined;
  const failed = 'problem' in content ? content.problem : parts && tooLong(parts, limits.smsMaxSegments);
  return {
    channel: c.channel,
    recipient: (c.channel === 'sms' ? contact.phone : contact.email) ?? '',
    sender: c.sender ?? undefined,
    subject: body.subject,
    text: body.text,
    html: body.html,
    segments: parts?.segments,
    priority: c.priority,
    categories: c.categories,
    provider: c.provider ?? undefined,
    lane: routedLane(c.channel, c.provider),
    dueAt: late ? now : due,
    notAfter: c.endAt,
    maxAttempts: limits.maxAttempts,
    campaignId: c.id,
    contactId: contact.id,
    state: failed ? 'failed' : late ? 'expired' : undefined,
    reason: failed ?? (late ? EXPIRED_BEFORE_WINDOW : undefined),
  };
}

/** The page after the checkpoint: the one read ahead when it was read for this checkpoint and filter. */
function pageOf(deps: FanoutDeps, c: Campaign, filter: ContactFilter, ahead: ReadAhead | undefined) {
  const key = JSON.stringify(filter);
  if (ahead && ahead.campaignId === c.id && ahead.after === c.checkpoint && ahead.filter === key) return ahead.page;
  return deps.store.contacts.list(filter, deps.pageSize ?? DEFAULT_PAGE, c.checkpoint ?? undefined);
}

/** Starts reading the page after `last` (the checkpoint this page's transaction will write). */
function readAhead(deps: FanoutDeps, c: Campaign, filter: ContactFilter, last: string): ReadAhead {
  const page = deps.store.contacts.list(filter, deps.pageSize ?? DEFAULT_PAGE, last);
  page.catch(() => undefined); // a read-ahead nobody takes must not be an unhandled rejection
  return { campaignId: c.id, after: last, filter: JSON.stringify(filter), page };
}

/**
 * Writes the next page of a campaign's fan-out. Reads the campaign afresh, so edits apply from the
 * next page. `ahead`: the page the previous call read ahead (used only if it still fits).
 */
export async function fanoutPage(deps: FanoutDeps, campaignId: string, ahead?: ReadAhead): Promise<FanoutStep> {
  const c = await deps.store.campaigns.get(campaignId);
  if (!c || c.state !== 'running' || c.fanoutDone) return { kind: 'idle' };
  const now = deps.clock.now();
  const filter: ContactFilter = { operatorCodes: c.filter.operatorCodes, tags: c.filter.tags, channel: c.channel };
  const page = await pageOf(deps, c, filter, ahead);
  const last = page.items.length > 0 ? page.items[page.items.length - 1]!.id : c.checkpoint;
  const done = page.nextCursor === null;
  // Posted before this page's transaction: the store reads it while the messages below are built.
  const next = done || last === null ? undefined : readAhead(deps, c, filter, last);
  const version = c.template ? await deps.store.templates.version(c.template.id, c.template.version) : undefined;
  const messages = buildPage(deps, c, page.items, now, version);
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
  let expired = 0;
  let failed = 0;
  let segments = 0;
  for (const m of messages) {
    if (m.state === 'expired') expired++;
    else if (m.state === 'failed') failed++;
    segments += m.segments ?? 0;
  }
  return { kind: 'written', messages: messages.length, expired, failed, done, segments, ahead: next };
}

/** The messages of one page of contacts (openings computed once per time zone, the text split once). */
function buildPage(
  deps: FanoutDeps,
  c: Campaign,
  contacts: readonly Contact[],
  now: number,
  version: TemplateVersion | undefined,
): NewMessage[] {
  const opening = openingsAt(now, c.window);
  const render = campaignRenderer(c, version);
  const limits = { maxAttempts: deps.maxAttempts, smsMaxSegments: deps.smsMaxSegments ?? DEFAULT_SMS_MAX_SEGMENTS };
  return contacts.map((contact) =>
    campaignMessage(c, contact, opening(contact.timezone), now, limits, render(contact)),
  );
}
