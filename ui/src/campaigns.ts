/** Campaign and contact shapes as the UI uses them, and the pure helpers the pages share. */

export interface Contact {
  id: string;
  phone: string | null;
  email: string | null;
  operatorCode: string | null;
  tag: string | null;
  timezone: string;
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignFilter {
  operatorCodes: string[];
  tags: string[];
}

export interface Campaign {
  id: string;
  name: string | null;
  channel: 'sms' | 'email';
  provider: string | null;
  from: string | null;
  subject: string | null;
  text: string;
  html: string | null;
  template: { id: string; version: number; locale: string | null } | null;
  categories: number;
  filter: CampaignFilter;
  startAt: string;
  endAt: string;
  window: { from: string; to: string } | null;
  priority: number;
  state: string;
  fanout: { done: boolean; contacts: number; checkpoint: string | null };
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Counts by message state, e.g. { queued: 3, delivered: 10 }. */
export type Counts = Record<string, number>;

export interface Progress {
  total: number;
  delivered: number;
  sent: number;
  failed: number;
  pending: number;
}

const FAILED = ['failed', 'bounced', 'expired', 'suppressed', 'cancelled'];
const PENDING = ['queued', 'sending'];

export function progressOf(counts: Counts): Progress {
  const get = (k: string) => counts[k] ?? 0;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    total,
    delivered: get('delivered'),
    sent: get('sent'),
    failed: FAILED.reduce((a, k) => a + get(k), 0),
    pending: PENDING.reduce((a, k) => a + get(k), 0),
  };
}

export const CAMPAIGN_ACTIONS: Record<string, ('pause' | 'resume' | 'cancel')[]> = {
  scheduled: ['cancel'],
  running: ['pause', 'cancel'],
  paused: ['resume', 'cancel'],
};

const PLACEHOLDER = /\{(id|phone|email|operatorCode|tag|timezone|attributes(?:\.[A-Za-z0-9_-]+)+)\}/g;

/** The server's template rules (src/campaigns/template.ts), for the live preview. */
export function renderTemplate(text: string, c: Partial<Contact>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    let v: unknown;
    if (name.startsWith('attributes.')) {
      v = c.attributes;
      for (const key of name.split('.').slice(1))
        v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    } else v = (c as Record<string, unknown>)[name];
    if (v == null) return '';
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

/** "a, b ,c" → ["a","b","c"] */
export function splitList(s: string): string[] {
  return s
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** Splits CSV text into records, honouring quoted fields with commas and newlines. */
export function csvRecords(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      const rec = text.slice(start, i).replace(/\r$/, '');
      if (rec.trim()) out.push(rec);
      start = i + 1;
    }
  }
  const last = text.slice(start).replace(/\r$/, '');
  if (last.trim()) out.push(last);
  return out;
}
