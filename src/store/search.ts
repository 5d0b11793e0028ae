import { sql, type RawBuilder } from 'kysely';
import type { Capabilities } from './capabilities.ts';

/** `%`, `_` and the escape character itself, escaped for a LIKE pattern (escape character `\`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** The smallest string greater than every string that starts with `prefix` (codepoint order), or undefined. */
export function prefixUpperBound(prefix: string): string | undefined {
  const chars = [...prefix];
  while (chars.length > 0) {
    const last = chars.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return chars.join('') + String.fromCodePoint(last + 1);
  }
  return undefined;
}

/**
 * `column` matches `pattern` ignoring ASCII case: `ILIKE` on PostgreSQL (its default escape is `\`;
 * an explicit ESCAPE would hide the pattern from pg_trgm), `LIKE … ESCAPE '\'` on SQLite.
 */
export function likeIgnoringCase(column: RawBuilder<unknown>, pattern: string, caps: Capabilities) {
  return caps.ilike ? sql<boolean>`${column} ILIKE ${pattern}` : sql<boolean>`${column} LIKE ${pattern} ESCAPE '\\'`;
}

/**
 * Messages whose recipient contains `text`, ignoring ASCII case. PostgreSQL's trigram index holds
 * only the messages not being sent (migration 0017, docs/decisions/0045): the always-true
 * `state <> 'sending' OR state = 'sending'` lets the planner read that index for the first arm and
 * `messages_leases` (the messages in hand) for the second; without it the index cannot be used.
 */
export function recipientContainsTerm(text: string, caps: Capabilities): RawBuilder<boolean> {
  const like = likeIgnoringCase(sql`recipient`, `%${escapeLike(text)}%`, caps);
  return caps.ilike ? sql<boolean>`(${like} AND (state <> 'sending' OR state = 'sending'))` : like;
}

/**
 * A contact's search text: phone, e-mail, tag and the attributes' JSON, lowercased. The same
 * expression as the PostgreSQL index `contacts_search_trgm` (migration 0009), so the planner uses it.
 */
export const CONTACT_SEARCH_TEXT = sql.raw(
  `lower(coalesce(phone, '') || ' ' || coalesce(email, '') || ' ' || coalesce(tag, '') || ' ' || coalesce(attributes, ''))`,
);

/**
 * What a contact search looks for: a phone-like text (digits, spaces, `+`, `-`, parentheses) as its
 * digits, so "+7 900 12" finds 79001234567; anything else lowercased.
 */
export function contactSearchTerm(text: string): string {
  const t = text.trim();
  if (/^\+?[0-9\s()-]+$/.test(t)) return t.replace(/[^0-9]/g, '');
  return t.toLowerCase();
}
