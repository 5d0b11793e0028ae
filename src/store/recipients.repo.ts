import type { Kysely } from 'kysely';
import type { Message } from '../domain/message.ts';
import { messageFromRow } from './rows.ts';
import type { Database } from './schema.ts';

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
