import type { Message } from '../../../domain/message.ts';
import { HERALD_ID_ARG } from './receipts.ts';

/**
 * Builds SendGrid v3 Mail Send bodies. Messages with the same sender, subject, text and html are
 * one "content"; each content becomes one request with one personalization per message (at most
 * `max`, SendGrid's cap being 1000), each carrying `custom_args.herald_id` so every event names
 * its message. Different contents need separate requests.
 */
export interface EmailAddress {
  email: string;
  name?: string;
}

/** `Name <a@b.c>` or `a@b.c`. */
export function parseAddress(s: string): EmailAddress {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(s);
  if (!m) return { email: s.trim() };
  const name = m[1]!.trim();
  return name ? { email: m[2]!.trim(), name } : { email: m[2]!.trim() };
}

export interface MailGroup {
  /** Indexes into the batch, in order. */
  indexes: number[];
  body: (indexes: readonly number[]) => string;
}

export function groupMessages(
  batch: readonly Message[],
  defaultFrom: string | undefined,
  max: number,
  eligible: (i: number) => boolean,
): MailGroup[] {
  const byContent = new Map<string, number[]>();
  batch.forEach((m, i) => {
    if (!eligible(i)) return;
    const key = JSON.stringify([m.sender ?? defaultFrom, m.subject, m.text, m.html]);
    byContent.set(key, [...(byContent.get(key) ?? []), i]);
  });
  const groups: MailGroup[] = [];
  for (const indexes of byContent.values()) {
    for (let k = 0; k < indexes.length; k += max) {
      groups.push({
        indexes: indexes.slice(k, k + max),
        body: (idx) => mailBody(batch, idx, defaultFrom),
      });
    }
  }
  return groups;
}

function mailBody(batch: readonly Message[], indexes: readonly number[], defaultFrom: string | undefined): string {
  const first = batch[indexes[0]!]!;
  const content: { type: string; value: string }[] = [];
  // SendGrid requires text/plain before text/html.
  if (first.text) content.push({ type: 'text/plain', value: first.text });
  if (first.html) content.push({ type: 'text/html', value: first.html });
  return JSON.stringify({
    personalizations: indexes.map((i) => ({
      to: [parseAddress(batch[i]!.recipient)],
      custom_args: { [HERALD_ID_ARG]: batch[i]!.id },
    })),
    from: parseAddress(first.sender ?? defaultFrom!),
    subject: first.subject ?? '',
    content,
  });
}
