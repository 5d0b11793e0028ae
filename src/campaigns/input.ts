/**
 * Checks a campaign or contact as clients describe it and turns it into domain fields, listing
 * every problem (paths like `/endAt`). Shared by the native API and the seed 003 compat API.
 */
import type { Channel } from '../domain/message.ts';
import type { Problem } from '../domain/compose.ts';
import {
  CAMPAIGN_CHANNELS,
  isTimeZone,
  operatorCodeOf,
  type Campaign,
  type CampaignChannel,
  type CampaignFields,
  type CampaignTemplate,
  type LocalWindow,
  type NewContact,
} from './model.ts';
import { checkWindow } from './window.ts';
import { carriesReservedBit } from '../domain/categories.ts';
import { countSegments, type SegmentCount } from '../providers/sms/segments.ts';
import { staticPart } from './template.ts';

export interface CampaignInput {
  name?: string | null | undefined;
  channel?: CampaignChannel | undefined;
  provider?: string | null | undefined;
  from?: string | null | undefined;
  subject?: string | null | undefined;
  text?: string | undefined;
  html?: string | null | undefined;
  /** Already resolved by the service (the template exists; its version is pinned). */
  template?: CampaignTemplate | null | undefined;
  categories?: number | undefined;
  filter?: { operatorCodes?: string[] | undefined; tags?: string[] | undefined } | undefined;
  startAt?: string | undefined;
  endAt?: string | undefined;
  window?: LocalWindow | null | undefined;
  priority?: number | undefined;
}

const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+$/;
export const PHONE_RE = /^\+?[1-9][0-9]{6,14}$/;

/**
 * Whether a campaign's SMS text is too long for EVERY contact: the parts its static part (the text
 * without its placeholders) takes when that is already more than `limit`, else undefined. A
 * contact's values only add to it: more characters never take fewer parts, and a switch to UCS-2
 * never shortens. Fan-out would write each of its messages `failed` (decision 0027), so the APIs
 * refuse it (decision 0031).
 */
export function smsTextTooLong(text: string, limit: number): SegmentCount | undefined {
  const parts = countSegments(staticPart(text));
  return parts.segments > limit ? parts : undefined;
}

/** The native API's words for smsTextTooLong (path /text). */
function tooLongForEveryone(parts: SegmentCount, limit: number): string {
  return (
    `is too long for every contact: without its placeholders it is already ${parts.segments} SMS segments ` +
    `(${parts.encoding}, ${parts.units} units); the limit is ${limit} (HERALD_SMS_MAX_SEGMENTS)`
  );
}

/**
 * Merges `input` over `base` (an existing campaign for PATCH, or nothing for POST) and checks the
 * result as a whole: a PATCH is valid when the campaign it produces is.
 */
export function campaignFields(
  input: CampaignInput,
  base: CampaignFields | undefined,
  providerChannel: (name: string) => Channel | undefined,
  /** When given, an endAt set by this input must be later (a campaign that has ended sends nothing). */
  now?: number,
  /** When given, an SMS text set by this input (or a new campaign's) must fit for some contact. */
  smsMaxSegments?: number,
): CampaignFields | Problem[] {
  const problems: Problem[] = [];
  const bad = (path: string, message: string) => problems.push({ path: `/${path}`, message });
  const time = (raw: string | undefined, field: string, prior: number | undefined): number => {
    if (raw === undefined) {
      if (prior === undefined) bad(field, 'is required');
      return prior ?? NaN;
    }
    const ms = Date.parse(raw);
    if (Number.isNaN(ms)) bad(field, 'must be an ISO 8601 date-time');
    return ms;
  };
  const f: CampaignFields = {
    name: input.name !== undefined ? input.name : (base?.name ?? null),
    channel: input.channel ?? base?.channel ?? 'sms',
    provider: input.provider !== undefined ? input.provider : (base?.provider ?? null),
    sender: input.from !== undefined ? input.from : (base?.sender ?? null),
    subject: input.subject !== undefined ? input.subject : (base?.subject ?? null),
    text: input.text ?? base?.text ?? '',
    html: input.html !== undefined ? input.html || null : (base?.html ?? null),
    template: input.template !== undefined ? input.template : (base?.template ?? null),
    categories: input.categories ?? base?.categories ?? 0,
    filter: {
      operatorCodes: input.filter?.operatorCodes ?? base?.filter.operatorCodes ?? [],
      tags: input.filter?.tags ?? base?.filter.tags ?? [],
    },
    startAt: time(input.startAt, 'startAt', base?.startAt),
    endAt: time(input.endAt, 'endAt', base?.endAt),
    window: input.window !== undefined ? input.window : (base?.window ?? null),
    priority: input.priority ?? base?.priority ?? 0,
  };
  if (!CAMPAIGN_CHANNELS.includes(f.channel)) bad('channel', 'must be sms or email');
  if (!f.template && !f.text.trim() && !(f.channel === 'email' && f.html?.trim()))
    bad('text', f.channel === 'email' ? 'is required (or html, or a template)' : 'is required (or a template)');
  if (f.html && f.channel !== 'email') bad('html', 'only e-mail campaigns have an HTML body');
  // Only when this input sets the text (or makes a new campaign): a lowered limit does not lock
  // every other edit of a campaign written under the old one; its messages fail at fan-out.
  const setsText = !base || input.text !== undefined || input.channel !== undefined || input.template !== undefined;
  const long = f.channel === 'sms' && !f.template && smsMaxSegments !== undefined && setsText;
  const tooLong = long ? smsTextTooLong(f.text, smsMaxSegments) : undefined;
  if (tooLong) bad('text', tooLongForEveryone(tooLong, smsMaxSegments!));
  if (!Number.isInteger(f.categories) || f.categories < 0) bad('categories', 'must be a non-negative integer');
  else if (carriesReservedBit(f.categories)) bad('categories', 'bit 1 is reserved and must never be set');
  if (f.startAt >= f.endAt) bad('endAt', 'must be after startAt');
  else if (now !== undefined && input.endAt !== undefined && f.endAt <= now)
    bad('endAt', `is already past (${new Date(f.endAt).toISOString()}): the campaign would send nothing`);
  if (f.window) {
    const w = checkWindow(f.window);
    const m = w && /^window\.(from|to) (must be HH:MM.*)$/.exec(w);
    if (m) bad(`window/${m[1]}`, m[2]!);
    else if (w) bad('window', w);
  }
  if (!Number.isInteger(f.priority) || f.priority < 0 || f.priority > 9) bad('priority', 'must be 0–9');
  if (f.channel === 'email') {
    if (!f.sender || !EMAIL_RE.test(f.sender)) bad('from', 'is required for an e-mail campaign: an e-mail address');
    if (!f.subject && !f.template) bad('subject', 'is required for an e-mail campaign (or choose a template)');
  }
  if (f.provider != null) {
    const ch = providerChannel(f.provider);
    if (!ch) bad('provider', `no provider named "${f.provider}" is configured`);
    else if (ch !== f.channel) bad('provider', `provider "${f.provider}" is for ${ch}, not ${f.channel}`);
  }
  return problems.length > 0 ? problems : f;
}

export interface ContactInput {
  phone?: string | null | undefined;
  email?: string | null | undefined;
  operatorCode?: string | null | undefined;
  tag?: string | null | undefined;
  timezone?: string | undefined;
  attributes?: Record<string, unknown> | undefined;
}

/** Merges and checks a contact; the operator code follows the phone unless given. */
export function contactFields(input: ContactInput, base: NewContact | undefined, at = ''): NewContact | Problem[] {
  const problems: Problem[] = [];
  const bad = (path: string, message: string) => problems.push({ path: `${at}/${path}`, message });
  const phone = input.phone !== undefined ? normalisePhone(input.phone) : (base?.phone ?? null);
  const email = input.email !== undefined ? input.email || null : (base?.email ?? null);
  let operatorCode = input.operatorCode !== undefined ? input.operatorCode || null : (base?.operatorCode ?? null);
  if (input.operatorCode === undefined && input.phone !== undefined) operatorCode = operatorCodeOf(phone);
  const c: NewContact = {
    phone,
    email,
    operatorCode,
    tag: input.tag !== undefined ? input.tag || null : (base?.tag ?? null),
    timezone: input.timezone ?? base?.timezone ?? 'UTC',
    attributes: input.attributes ?? base?.attributes ?? {},
  };
  if (!c.phone && !c.email) bad('phone', 'is required when there is no e-mail (a contact needs one or the other)');
  if (c.phone && !PHONE_RE.test(c.phone)) bad('phone', 'must be 7XXXXXXXXXX or E.164 (+ and 7–15 digits)');
  if (c.email && !EMAIL_RE.test(c.email)) bad('email', 'must be an e-mail address');
  if (!isTimeZone(c.timezone))
    bad('timezone', `must be an IANA time zone such as Europe/Moscow (got ${JSON.stringify(c.timezone)})`);
  if (c.operatorCode && !/^\d{1,6}$/.test(c.operatorCode))
    bad('operatorCode', `must be 1 to 6 digits (got ${JSON.stringify(c.operatorCode)})`);
  if (c.tag && c.tag.length > 100) bad('tag', 'must be at most 100 characters');
  return problems.length > 0 ? problems : c;
}

function normalisePhone(p: string | null): string | null {
  return p ? p.replace(/[\s()-]/g, '') : null;
}

/** The fields of a stored campaign, to merge a PATCH over. */
export function fieldsOf(c: Campaign): CampaignFields {
  const { name, channel, provider, sender, subject, text, html, template, categories } = c;
  const { filter, startAt, endAt, window, priority } = c;
  return {
    ...{ name, channel, provider, sender, subject, text, html, template, categories },
    ...{ filter, startAt, endAt, window, priority },
  };
}
