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
import { routedLane } from '../domain/lanes.ts';
import type { CampaignContent, CampaignPageRow, CampaignPageShared, Page, Store } from '../store/store.ts';
import type { Campaign, Contact, ContactFilter } from './model.ts';
import { compileTemplate, hasPlaceholders } from './template.ts';
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

/** A message's content as written, and why it cannot go out (a rendering problem, an SMS too long). */
export interface RowContent {
  content: CampaignContent;
  failed: string | undefined;
}

/** The content of one contact's message (or of every contact's, when the page shares it). */
export function rowContent(c: Campaign, rendered: ContactContent, limits: MessageLimits): RowContent {
  const body = 'problem' in rendered ? {} : rendered;
  const parts = c.channel === 'sms' ? countSegments(body.text ?? '') : undefined;
  return {
    content: {
      subject: body.subject ?? null,
      text: body.text ?? null,
      html: body.html ?? null,
      segments: parts?.segments ?? null,
    },
    failed: 'problem' in rendered ? rendered.problem : parts && tooLong(parts, limits.smsMaxSegments),
  };
}

/** What every message of a campaign's page shares: bound once per page (decision 0031). */
export function campaignShared(c: Campaign, limits: MessageLimits, content?: CampaignContent): CampaignPageShared {
  return {
    channel: c.channel,
    provider: c.provider,
    lane: routedLane(c.channel, c.provider),
    sender: c.sender,
    priority: c.priority,
    categories: c.categories,
    campaignId: c.id,
    maxAttempts: limits.maxAttempts,
    notAfter: c.endAt,
    content,
  };
}

/**
 * One contact's part of its message: due at the next opening of its window, never after the end.
 * A contact whose content cannot be rendered, or whose SMS is longer than the limit, gets a message
 * written already `failed` with the reason, so that the campaign's statistics show it; one whose
 * window opens after the end, a message written `expired`.
 */
export function campaignRow(c: Campaign, contact: Contact, due: number, now: number, own: RowContent): CampaignPageRow {
  const late = due >= c.endAt;
  return {
    recipient: (c.channel === 'sms' ? contact.phone : contact.email) ?? '',
    contactId: contact.id,
    dueAt: late ? now : due,
    state: own.failed ? 'failed' : late ? 'expired' : 'queued',
    reason: own.failed ?? (late ? EXPIRED_BEFORE_WINDOW : null),
    content: own.content,
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
  const { shared, rows } = buildPage(deps, c, page.items, now, version);
  try {
    await deps.store.transaction(async (tx) => {
      // The guarded advance first: on PostgreSQL it also locks the campaign row for this transaction.
      if (!(await tx.campaigns.advance(c.id, c.checkpoint, last, rows.length, done, now))) throw new CheckpointMoved();
      if (rows.length > 0) await tx.messages.insertCampaignPage(shared, rows, now);
    });
  } catch (err) {
    if (err instanceof CheckpointMoved) return { kind: 'raced' };
    throw err;
  }
  let expired = 0;
  let failed = 0;
  let segments = 0;
  for (const r of rows) {
    if (r.state === 'expired') expired++;
    else if (r.state === 'failed') failed++;
    segments += (shared.content ?? r.content)?.segments ?? 0;
  }
  return { kind: 'written', messages: rows.length, expired, failed, done, segments, ahead: next };
}

/**
 * The messages of one page of contacts: what they share, and each contact's part (openings
 * computed once per time zone, the text split once; a content without placeholders rendered once).
 */
function buildPage(
  deps: FanoutDeps,
  c: Campaign,
  contacts: readonly Contact[],
  now: number,
  version: TemplateVersion | undefined,
): { shared: CampaignPageShared; rows: CampaignPageRow[] } {
  const opening = openingsAt(now, c.window);
  const render = campaignRenderer(c, version);
  const limits = { maxAttempts: deps.maxAttempts, smsMaxSegments: deps.smsMaxSegments ?? DEFAULT_SMS_MAX_SEGMENTS };
  const first = contacts[0];
  if (sameForEveryone(c) && first) {
    const one = rowContent(c, render(first), limits);
    const shared = campaignShared(c, limits, one.content);
    return { shared, rows: contacts.map((contact) => campaignRow(c, contact, opening(contact.timezone), now, one)) };
  }
  return {
    shared: campaignShared(c, limits),
    rows: contacts.map((contact) =>
      campaignRow(c, contact, opening(contact.timezone), now, rowContent(c, render(contact), limits)),
    ),
  };
}

/** Whether every contact gets the same content: the campaign's own text, subject and HTML, without placeholders. */
function sameForEveryone(c: Campaign): boolean {
  return !c.template && [c.subject, c.text, c.html].every((t) => t == null || !hasPlaceholders(t));
}
