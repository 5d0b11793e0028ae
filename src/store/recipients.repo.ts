import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Message } from '../domain/message.ts';
import type { Capabilities } from './capabilities.ts';
import { messageFromRow } from './rows.ts';
import type { Database } from './schema.ts';

/*
 * recipientIs — input: an address exactly as stored; output: the WHERE term for messages to it.
 * Each store keeps one recipient index (migration 0017), case-folded for search: SQLite's
 * `messages_recipient_nocase (recipient COLLATE NOCASE, id)`, PostgreSQL's
 * `messages_recipient_lower (lower(recipient) text_pattern_ops, recipient, id)`. The folded equality
 * walks it (newest first along id, no sort); the exact one drops the rows that differ only in case,
 * inside the index on both stores.
 */
export function recipientIs(recipient: string, caps: Capabilities): RawBuilder<boolean> {
  return caps.ilike
    ? sql<boolean>`(lower(recipient) = lower(${recipient}) AND recipient = ${recipient})`
    : sql<boolean>`(recipient COLLATE NOCASE = ${recipient} AND recipient = ${recipient})`;
}

/** Message look-ups by recipient (de-duplication: "the last e-mail of this kind to this person"). */
export class KyselyRecipientRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** The newest message to `recipient` with this unique id (index messages_unique). */
  async lastByUniqueId(recipient: string, uniqueId: string): Promise<Message | undefined> {
    const r = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('recipient', '=', recipient)
      .where('unique_id', '=', uniqueId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && messageFromRow(r);
  }
}
