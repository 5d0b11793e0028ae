import type { ContentConfig } from '../config/content.ts';
import type { Message } from '../domain/message.ts';
import type { UnsubscribeTokens } from './tokens.ts';

/** Whether a message gets unsubscribe headers: it is in a category or a campaign (transactional mail is not). */
export function offersUnsubscribe(m: Pick<Message, 'categories' | 'campaignId'>): boolean {
  return m.categories !== 0 || m.campaignId !== null;
}

/**
 * List-Unsubscribe (RFC 2369) with the one-click link under HERALD_PUBLIC_URL and, when
 * configured, a mailto; List-Unsubscribe-Post (RFC 8058) so that mailbox providers POST
 * `List-Unsubscribe=One-Click` to the link instead of opening it.
 */
export function unsubscribeHeaders(
  m: Message,
  tokens: UnsubscribeTokens,
  content: Pick<ContentConfig, 'publicUrl' | 'unsubscribeMailto'>,
): Record<string, string> | undefined {
  if (!offersUnsubscribe(m)) return undefined;
  const token = tokens.forMessage(m);
  const links = [`<${content.publicUrl}/u/${token}>`];
  if (content.unsubscribeMailto)
    links.push(`<mailto:${content.unsubscribeMailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`);
  return { 'List-Unsubscribe': links.join(', '), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}
