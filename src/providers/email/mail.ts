import { convert } from 'html-to-text';
import type { Message } from '../../domain/message.ts';

/**
 * One e-mail as every e-mail provider sends it (SMTP's MIME, SendGrid's JSON): the same display
 * names, Reply-To, headers, Message-ID and text part, so a message looks the same whichever
 * provider of a route carries it.
 */
export interface OutgoingMail {
  from: { email: string; name?: string | undefined };
  to: { email: string; name?: string | undefined };
  replyTo?: string | undefined;
  subject: string;
  /** Always present: the message's text, or one made from its HTML (multipart/alternative). */
  text: string;
  html?: string | undefined;
  /** `<id@domain>`: derived from Herald's id, so a retried message keeps its identity. */
  messageId: string;
  /** Allow-listed caller headers, List-Unsubscribe (RFC 2369/8058) and X-Herald-Id. */
  headers: Record<string, string>;
}

/** What e-mail providers get from Herald to build mails (ProviderContext.mail). */
export interface MailContext {
  /** Domain of Message-IDs (HERALD_MESSAGE_ID_DOMAIN); undefined: the sender's domain. */
  messageIdDomain: string | undefined;
  /** List-Unsubscribe headers for a message in a category or campaign; none for transactional mail. */
  unsubscribeHeaders?(m: Message): Record<string, string> | undefined;
}

/** `Name <a@b.c>` or `a@b.c`. */
export function parseAddress(s: string): { email: string; name?: string } {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(s);
  if (!m) return { email: s.trim() };
  const name = m[1]!.trim();
  return name ? { email: m[2]!.trim(), name } : { email: m[2]!.trim() };
}

const textCache = new Map<string, string>();

/** A plain-text alternative of an HTML body: links kept as `text [url]`, images dropped, wrapped at 78. */
export function textFromHtml(html: string): string {
  let t = textCache.get(html);
  if (t === undefined) {
    t = convert(html, {
      wordwrap: 78,
      selectors: [
        { selector: 'img', format: 'skip' },
        { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      ],
    });
    // A campaign sends one HTML to many: keep the last few conversions.
    if (textCache.size >= 64) textCache.delete(textCache.keys().next().value!);
    textCache.set(html, t);
  }
  return t;
}

/** Builds the mail of a message; `defaultFrom` is the provider's `from` option. Undefined when it has no sender. */
export function outgoingMail(m: Message, ctx: MailContext | undefined, defaultFrom?: string): OutgoingMail | undefined {
  const sender = m.sender ?? defaultFrom;
  if (!sender) return undefined;
  const from = parseAddress(sender);
  const to = parseAddress(m.recipient);
  const extras = m.email ?? {};
  const domain = ctx?.messageIdDomain ?? /@([^>\s]+)$/.exec(from.email)?.[1] ?? 'herald.local';
  return {
    from: { email: from.email, name: extras.fromName ?? from.name },
    to: { email: to.email, name: extras.toName ?? to.name },
    replyTo: extras.replyTo,
    subject: m.subject ?? '',
    text: m.text ?? (m.html ? textFromHtml(m.html) : ''),
    html: m.html ?? undefined,
    messageId: `<${m.id}@${domain}>`,
    headers: { ...extras.headers, ...ctx?.unsubscribeHeaders?.(m), 'X-Herald-Id': m.id },
  };
}
