/** Seed 003 field names and validation for clients, mailings and messages. */
import { isTimeZone, operatorCodeOf, type Campaign, type Contact, type NewContact } from '../../../campaigns/model.ts';
import type { CampaignFields } from '../../../campaigns/model.ts';
import type { Message } from '../../../domain/message.ts';
import { smsTextTooLong } from '../../../campaigns/input.ts';
import type { SegmentCount } from '../../../providers/sms/segments.ts';
import {
  charField,
  dictBody,
  Errors,
  formatDateTime,
  parseDateTime,
  parseTime,
  DATETIME_FORMAT,
  REQUIRED,
  TIME_FORMAT,
} from './drf.ts';

export const PHONE_MESSAGE = "The client's phone number in the format 7XXXXXXXXXX (X - number from 0 to 9)";
export const PHONE_RE = /^7\d{10}$/;

export function clientView(c: Contact) {
  return {
    id: c.id,
    phone_number: c.phone ?? '',
    mobile_operator_code: c.operatorCode ?? '',
    tag: c.tag ?? '',
    timezone: c.timezone,
  };
}

/** A client from a POST/PUT (full) or PATCH (partial) body, merged over the stored one. */
export function clientInput(raw: unknown, base: Contact | undefined, partial: boolean): NewContact {
  const body = dictBody(raw);
  const e = new Errors();
  const phone = charField(body, 'phone_number', e, { required: !partial, blank: false, max: 11 });
  if (phone && !e.has('phone_number') && !PHONE_RE.test(phone)) e.add('phone_number', PHONE_MESSAGE);
  const tag = charField(body, 'tag', e, { required: false, blank: true, max: 100 });
  const tz = charField(body, 'timezone', e, { required: false, blank: false, max: 32 });
  if (tz !== undefined && !e.has('timezone') && !isTimeZone(tz)) e.add('timezone', `"${tz}" is not a valid choice.`);
  e.throwIfAny();
  const nextPhone = phone ?? base?.phone ?? null;
  return {
    phone: nextPhone,
    email: base?.email ?? null,
    // Read-only in the seed: always the three digits after the 7.
    operatorCode: operatorCodeOf(nextPhone),
    tag: tag !== undefined ? tag || null : partial ? (base?.tag ?? null) : null,
    timezone: tz ?? (partial ? (base?.timezone ?? 'UTC') : 'UTC'),
    attributes: base?.attributes ?? {},
  };
}

export function mailingView(c: Campaign) {
  return {
    id: c.id,
    date_start: formatDateTime(c.startAt),
    date_end: formatDateTime(c.endAt),
    text: c.text,
    tag: c.filter.tags[0] ?? '',
    mobile_operator_code: c.filter.operatorCodes[0] ?? '',
    time_interval_start: c.window ? `${c.window.from}:00` : null,
    time_interval_end: c.window ? `${c.window.to}:00` : null,
    // The seed's model called the window time_start / time_end: both spellings are answered.
    time_start: c.window ? `${c.window.from}:00` : null,
    time_end: c.window ? `${c.window.to}:00` : null,
  };
}

/**
 * A mailing from a POST/PUT (full) or PATCH (partial) body, merged over the stored campaign.
 * `smsMaxSegments` (HERALD_SMS_MAX_SEGMENTS): a text given here must fit for some client.
 */
export function mailingInput(
  raw: unknown,
  base: CampaignFields | undefined,
  partial: boolean,
  smsMaxSegments: number,
): CampaignFields {
  const body = { ...dictBody(raw) };
  // The seed model's own names for the window, accepted as aliases.
  if (body.time_interval_start === undefined && body.time_start !== undefined)
    body.time_interval_start = body.time_start;
  if (body.time_interval_end === undefined && body.time_end !== undefined) body.time_interval_end = body.time_end;
  const e = new Errors();
  const time = (name: 'date_start' | 'date_end', prior: number | undefined): number | undefined => {
    const v = body[name];
    if (v === undefined) {
      if (!partial) e.add(name, REQUIRED);
      return prior;
    }
    const ms = parseDateTime(v);
    if (ms === undefined) e.add(name, DATETIME_FORMAT);
    return ms;
  };
  const startAt = time('date_start', base?.startAt);
  const endAt = time('date_end', base?.endAt);
  const text = charField(body, 'text', e, { required: !partial, blank: false, max: 255 });
  const long = text && !e.has('text') ? smsTextTooLong(text, smsMaxSegments) : undefined;
  if (long) e.add('text', tooLongMessage(long, smsMaxSegments));
  const tag = charField(body, 'tag', e, { required: false, blank: true, max: 100 });
  const code = charField(body, 'mobile_operator_code', e, { required: false, blank: true, max: 3 });
  if (code && !e.has('mobile_operator_code') && !/^\d{1,3}$/.test(code))
    e.add('mobile_operator_code', 'Must be digits.');
  const window = windowInput(body, base, partial, e);
  if (startAt !== undefined && endAt !== undefined && !e.has('date_start') && !e.has('date_end') && endAt <= startAt)
    e.add('date_end', 'Must be later than date_start.');
  e.throwIfAny();
  const keep = <T>(v: T | undefined, prior: T): T => (v !== undefined ? v : partial ? prior : (undefined as T));
  return {
    name: base?.name ?? null,
    channel: 'sms',
    provider: base?.provider ?? null,
    sender: base?.sender ?? null,
    subject: null,
    text: text ?? base?.text ?? '',
    html: null,
    template: null,
    categories: base?.categories ?? 0,
    filter: {
      tags: tag !== undefined ? (tag ? [tag] : []) : partial ? (base?.filter.tags ?? []) : [],
      operatorCodes: code !== undefined ? (code ? [code] : []) : partial ? (base?.filter.operatorCodes ?? []) : [],
    },
    startAt: startAt!,
    endAt: endAt!,
    window: keep(window, base?.window ?? null) ?? null,
    priority: base?.priority ?? 0,
  };
}

/** DRF's wording for a validator's refusal ("Ensure this field …"), for a text too long for every client. */
export function tooLongMessage(parts: SegmentCount, limit: number): string {
  return (
    `Ensure this field fits in ${limit} SMS segment${limit === 1 ? '' : 's'} (HERALD_SMS_MAX_SEGMENTS): ` +
    `without its placeholders it already takes ${parts.segments} (${parts.encoding}, ${parts.units} units) for every client.`
  );
}

/** time_interval_start/end: both or neither; equal times are refused (omit both to send at any time). */
function windowInput(
  body: Record<string, unknown>,
  base: CampaignFields | undefined,
  partial: boolean,
  e: Errors,
): CampaignFields['window'] | undefined {
  const has = (k: string) => body[k] !== undefined;
  if (!has('time_interval_start') && !has('time_interval_end')) return undefined;
  const read = (k: 'time_interval_start' | 'time_interval_end', prior: string | undefined) => {
    const v = body[k];
    if (v === undefined) return prior;
    if (v === null || v === '') return null;
    const t = parseTime(v);
    if (t === undefined) e.add(k, TIME_FORMAT);
    return t;
  };
  const from = read('time_interval_start', partial ? base?.window?.from : undefined);
  const to = read('time_interval_end', partial ? base?.window?.to : undefined);
  if (from == null && to == null) return null;
  if (from == null) {
    if (!e.has('time_interval_start')) e.add('time_interval_start', 'Required when time_interval_end is set.');
    return undefined;
  }
  if (to == null) {
    if (!e.has('time_interval_end')) e.add('time_interval_end', 'Required when time_interval_start is set.');
    return undefined;
  }
  if (from === to) e.add('time_interval_end', 'Must differ from time_interval_start.');
  return { from, to };
}

/** The seed knew two statuses; `state` carries Herald's own. */
export function messageView(m: Message) {
  return {
    id: m.id,
    date_create: formatDateTime(m.createdAt),
    sending_status: m.state === 'sent' || m.state === 'delivered' ? 'sent' : 'no sent',
    state: m.state,
    mailing: m.campaignId,
    client: m.contactId,
  };
}
