import type { Query } from '../api.ts';
import type { Contact } from '../campaigns.ts';

export interface ContactPage {
  items: Contact[];
  nextCursor: string | null;
}

export interface ContactFilter {
  operatorCodes?: string[];
  tags?: string[];
  timezones?: string[];
  channel?: 'sms' | 'email';
  /** Phone, e-mail, tag or attribute text (GET ?q=, count body `search`). */
  search?: string;
}

/** Query string of GET /v1/contacts for a filter (repeated keys: any of). */
export function contactQuery(f: ContactFilter): Query {
  return { operatorCode: f.operatorCodes, tag: f.tags, timezone: f.timezones, channel: f.channel, q: f.search };
}

/** Body of POST /v1/contacts/count: empty lists are left out (they match everything). */
export function countBody(f: ContactFilter): ContactFilter {
  const out: ContactFilter = {};
  if (f.operatorCodes?.length) out.operatorCodes = f.operatorCodes;
  if (f.tags?.length) out.tags = f.tags;
  if (f.timezones?.length) out.timezones = f.timezones;
  if (f.channel) out.channel = f.channel;
  if (f.search) out.search = f.search;
  return out;
}
