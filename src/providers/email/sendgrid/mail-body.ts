import type { Message } from '../../../domain/message.ts';
import { outgoingMail, type MailContext, type OutgoingMail } from '../mail.ts';
import { HERALD_ID_ARG } from './receipts.ts';

/**
 * Builds SendGrid v3 Mail Send bodies. Messages with the same sender, Reply-To, subject, bodies
 * and caller headers are one "content"; each content becomes one request with one
 * personalization per message (at most `max`, SendGrid's cap being 1000). A personalization
 * carries what is the message's own: the recipient with its name, its Message-ID and unsubscribe
 * headers, and `custom_args.herald_id` so every event names its message.
 */
export interface MailGroup {
  /** Indexes into the batch, in order. */
  indexes: number[];
  body: (indexes: readonly number[]) => string;
}

/** Headers that differ per message: they go in the personalization, the rest in the shared body. */
const OWN_HEADERS = new Set(['Message-ID', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'X-Herald-Id']);

export function groupMessages(
  batch: readonly Message[],
  defaultFrom: string | undefined,
  max: number,
  eligible: (i: number) => boolean,
  ctx?: MailContext,
): MailGroup[] {
  const mails = batch.map((m, i) => (eligible(i) ? outgoingMail(m, ctx, defaultFrom) : undefined));
  const byContent = new Map<string, number[]>();
  mails.forEach((mail, i) => {
    if (!mail) return;
    const key = JSON.stringify([mail.from, mail.replyTo, mail.subject, mail.text, mail.html, shared(mail)]);
    byContent.set(key, [...(byContent.get(key) ?? []), i]);
  });
  const groups: MailGroup[] = [];
  for (const indexes of byContent.values()) {
    for (let k = 0; k < indexes.length; k += max) {
      groups.push({ indexes: indexes.slice(k, k + max), body: (idx) => mailBody(batch, mails, idx) });
    }
  }
  return groups;
}

function shared(mail: OutgoingMail): Record<string, string> {
  return Object.fromEntries(Object.entries(mail.headers).filter(([k]) => !OWN_HEADERS.has(k)));
}

function own(mail: OutgoingMail): Record<string, string> {
  const h = Object.fromEntries(Object.entries(mail.headers).filter(([k]) => OWN_HEADERS.has(k) && k !== 'X-Herald-Id'));
  return { ...h, 'Message-ID': mail.messageId };
}

const address = (a: { email: string; name?: string | undefined }) =>
  a.name ? { email: a.email, name: a.name } : { email: a.email };

function mailBody(
  batch: readonly Message[],
  mails: readonly (OutgoingMail | undefined)[],
  indexes: readonly number[],
): string {
  const first = mails[indexes[0]!]!;
  // SendGrid requires text/plain before text/html.
  const content = [{ type: 'text/plain', value: first.text }];
  if (first.html) content.push({ type: 'text/html', value: first.html });
  const headers = shared(first);
  return JSON.stringify({
    personalizations: indexes.map((i) => ({
      to: [address(mails[i]!.to)],
      headers: own(mails[i]!),
      custom_args: { [HERALD_ID_ARG]: batch[i]!.id },
    })),
    from: address(first.from),
    ...(first.replyTo ? { reply_to: { email: first.replyTo } } : {}),
    subject: first.subject,
    content,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
}
