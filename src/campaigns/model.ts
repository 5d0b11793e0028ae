/** Contacts and campaigns (seed 003): the domain types shared by the store, the API and the scheduler. */

export interface Contact {
  id: string;
  phone: string | null;
  email: string | null;
  operatorCode: string | null;
  tag: string | null;
  /** IANA time zone name (validated with Intl). */
  timezone: string;
  attributes: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type NewContact = Omit<Contact, 'id' | 'createdAt' | 'updatedAt'>;

/** Which contacts a campaign (or a list query) selects. Empty or absent lists match everything. */
export interface ContactFilter {
  operatorCodes?: readonly string[] | undefined;
  tags?: readonly string[] | undefined;
  timezones?: readonly string[] | undefined;
  /** Only contacts that can receive this channel (a phone for SMS, an e-mail for e-mail). */
  channel?: CampaignChannel | undefined;
  /** Phone, e-mail, tag or attribute text containing this (case-insensitive; a phone-like text by its digits). */
  search?: string | undefined;
}

export const CAMPAIGN_CHANNELS = ['sms', 'email'] as const;
export type CampaignChannel = (typeof CAMPAIGN_CHANNELS)[number];

export const CAMPAIGN_STATES = ['scheduled', 'running', 'paused', 'finished', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export interface CampaignTemplate {
  id: string;
  version: number;
  locale: string | null;
}

/** A daily local-time window, `HH:MM` each; `from > to` crosses midnight. */
export interface LocalWindow {
  from: string;
  to: string;
}

export interface Campaign {
  id: string;
  name: string | null;
  channel: CampaignChannel;
  provider: string | null;
  /** E-mail: the From address. SMS: an optional sender id. */
  sender: string | null;
  /** E-mail subject (a template like the text). */
  subject: string | null;
  text: string;
  /** E-mail: the HTML body (a template like the text); the text part is made from it when text is empty. */
  html: string | null;
  /** A stored template rendered for each contact instead of subject/text/html (version pinned at create). */
  template: CampaignTemplate | null;
  /** Category flags of its messages: e-mails in a category carry one-click unsubscribe. */
  categories: number;
  filter: { operatorCodes: string[]; tags: string[] };
  startAt: number;
  endAt: number;
  window: LocalWindow | null;
  priority: number;
  state: CampaignState;
  /** Id of the last contact a message was written for; fan-out resumes after it. */
  checkpoint: string | null;
  fanoutDone: boolean;
  /** Contacts fanned out so far (messages written, including ones created already expired). */
  fannedOut: number;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export type CampaignFields = Pick<
  Campaign,
  | 'name'
  | 'channel'
  | 'provider'
  | 'sender'
  | 'subject'
  | 'text'
  | 'html'
  | 'template'
  | 'categories'
  | 'filter'
  | 'startAt'
  | 'endAt'
  | 'window'
  | 'priority'
>;

/** States in which a campaign still has work (fan-out or messages in flight). */
export const LIVE_STATES: readonly CampaignState[] = ['scheduled', 'running', 'paused'];

/** The seed's phone format (`7XXXXXXXXXX`): the operator code is the three digits after the 7. */
export function operatorCodeOf(phone: string | null | undefined): string | null {
  if (!phone) return null;
  const m = /^\+?7(\d{3})\d{7}$/.exec(phone);
  return m ? m[1]! : null;
}

const zoneCache = new Map<string, boolean>();
/** Whether Intl knows this IANA zone name. */
export function isTimeZone(tz: string): boolean {
  let ok = zoneCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      ok = tz.length > 0;
    } catch {
      ok = false;
    }
    if (zoneCache.size < 10_000) zoneCache.set(tz, ok);
  }
  return ok;
}
