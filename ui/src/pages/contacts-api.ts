import type { Query } from '../api.ts';
import type { Contact } from '../campaigns.ts';

export interface ContactPage {
  items: Contact[];
  nextCursor: string | null;
}

/** Query parameters of the contacts list and count routes for a filter. */
export function contactQuery(f: { operatorCodes?: string[]; tags?: string[]; channel?: string; q?: string }): Query {
  return {
    operatorCode: f.operatorCodes?.length ? f.operatorCodes.join(',') : undefined,
    tag: f.tags?.length ? f.tags.join(',') : undefined,
    channel: f.channel || undefined,
    q: f.q || undefined,
  };
}
