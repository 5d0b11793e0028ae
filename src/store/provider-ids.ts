import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The Herald id of the message a provider knows by `providerMessageId` (receipts that carry only
 * the provider's id). The newest wins if a provider ever reused an id. Uses the partial index
 * messages_provider_message_id.
 */
export async function findIdByProviderMessageId(
  db: Kysely<Database>,
  providerMessageId: string,
): Promise<{ id: string; state: string } | undefined> {
  return db
    .selectFrom('messages')
    .select(['id', 'state'])
    .where('provider_message_id', '=', providerMessageId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
